// The seeded PRNG of the shipped fake PiAPI, shared with the tests that replay a run.
export { seededRandom } from '../../lib/testing/fake-piapi-http.js';
