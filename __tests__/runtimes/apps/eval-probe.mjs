// A worker that tries eval's sibling, new Function: the workerd suite checks that its configuration refuses it.
export default {
  fetch(request) {
    if (new URL(request.url).pathname === '/handled') return Response.json([]);
    return new Response(String(new Function('return 1')()));
  },
};
