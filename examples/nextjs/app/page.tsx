export default function Home() {
  return <p>PiAPI posts its webhooks to /api/piapi/webhook.</p>;
}
