// The official JS SDK's thread stream against a server: `node thread_stream.mjs <url> <sse|websocket>`.
// Prints one JSON object with what each scenario saw; test_js_sdk.py checks it.
import { Client } from "@langchain/langgraph-sdk";

const [apiUrl, transport] = process.argv.slice(2);
const timer = setTimeout(() => {
  console.error("timed out");
  process.exit(2);
}, 60_000);
const client = new Client({ apiUrl });
const out = {};

async function until(condition) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

{
  const thread = client.threads.stream({ assistantId: "chat", transport });
  // Projections see the events after they open: open them before the run starts (a fast
  // run could otherwise end before the messages projection opens).
  const output = thread.output;
  const messages = thread.messages;
  await thread.run.start({ input: { messages: [{ role: "user", content: "hi" }] } });
  for await (const message of messages) {
    const tokens = [];
    for await (const token of message.text) tokens.push(token);
    out.tokens = tokens;
    break;
  }
  const values = await output;
  out.chatMessages = values.messages.map((m) => m.type);
  await thread.close();
}

{
  const thread = client.threads.stream({ assistantId: "hitl", transport });
  await thread.run.start({ input: {} });
  await until(() => thread.interrupts.length > 0);
  const [interrupt] = thread.interrupts;
  out.interrupt = { payload: interrupt.payload, namespace: interrupt.namespace };
  await thread.input.respond({
    interrupt_id: interrupt.interruptId,
    namespace: interrupt.namespace,
    response: "yes",
  });
  // The resume is a new run: read the state (state.get) until it has ended.
  let state;
  do {
    await new Promise((resolve) => setTimeout(resolve, 20));
    state = (await thread.state.get({ namespace: [], keys: ["answer", "counter"] })).values;
  } while (state.counter !== 11);
  out.state = state;
  out.checkpoints = (await thread.state.listCheckpoints({ limit: 2 })).checkpoints.length;
  out.tree = (await thread.agent.getTree()).tree;
  await thread.close();
}

clearTimeout(timer);
console.log(JSON.stringify(out));
