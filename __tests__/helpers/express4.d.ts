// Express 4 is installed under the alias `express4`, beside Express 5, to test both.
declare module 'express4' {
  import express from 'express';
  export default express;
}
