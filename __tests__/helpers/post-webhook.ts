// The webhook POST the shipped fake PiAPI sends, shared with the fault suite's load.
export { postWebhook } from '../../lib/testing/fake-piapi-http.js';
