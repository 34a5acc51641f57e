// PiAPI's webhook in a Next.js App Router route handler. `after` keeps onTask
// running once the answer has been sent: on Vercel and other serverless hosts the
// function may otherwise be frozen as soon as it returns.
import { after } from 'next/server';
import { handle } from '../../../../lib/piapi';

export const POST = (request: Request) => handle(request, { waitUntil: after });
