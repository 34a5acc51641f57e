// Nothing: the cold-start check imports it to show what Node's ESM loader charges for any one more module.
export {};
