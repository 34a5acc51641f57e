import { readFileSync } from 'node:fs';
import { describeSchemaErrors, documentedShape, requiredShape } from '../../lib/core/schema.js';
import { notification } from '../helpers/notifications.js';

// The generator is a build-time script (CommonJS, so that jest and node both load it as is), untyped: require is its import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generator = require('../../scripts/generate-validators.cjs') as {
  generateValidatorSource(): string;
  OUTPUT: string;
};

describe('the precompiled validators', () => {
  it('are up to date with the schemas in lib/schema/ (run npm run generate)', () => {
    expect(readFileSync(generator.OUTPUT, 'utf8')).toBe(generator.generateValidatorSource());
  });

  it('need neither ajv nor code compiled at run time', () => {
    const source = readFileSync(generator.OUTPUT, 'utf8');
    expect(source).not.toMatch(/\brequire\(|\bimport\b|new Function|\beval\(/);
  });

  it('accept a notification, and tell required fields from documented ones', () => {
    expect(requiredShape(notification())).toBe(true);
    expect(documentedShape(notification())).toBe(true);
    const drifted = notification({ logs: {} as unknown as [] });
    expect(requiredShape(drifted)).toBe(true);
    expect(documentedShape(drifted)).toBe(false);
    expect(describeSchemaErrors(documentedShape.errors)).toEqual(['data.logs must be array,null']);
  });
});
