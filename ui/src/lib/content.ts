/**
 * An event's content as blocks a person can read: text, tool calls (with
 * their arguments), tool results, media references, and anything else as
 * JSON. Knows the shapes the frameworks store: ADK/Gemini `{ parts }`
 * (`text`, `functionCall`, `functionResponse`, `inlineData`), OpenAI items
 * (`message`, `function_call`, `function_call_output` / `function_call_result`,
 * chat `tool_calls`), AI SDK parts (`tool-call`, `tool-result`), Anthropic
 * blocks (`tool_use`, `tool_result`) and LangChain messages.
 */
export type ContentBlock =
  | { kind: 'text'; text: string }
  | { kind: 'tool-call'; name: string; callId: string | null; args: unknown }
  | { kind: 'tool-result'; name: string | null; callId: string | null; result: unknown }
  | { kind: 'media'; mimeType: string; detail: string | null }
  | { kind: 'data'; label: string; value: unknown };

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Arguments sent as JSON text (OpenAI's `arguments`) read as the value they encode, else kept as the text. */
function parsedJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v;
  }
}

const TEXT_TYPES = new Set(['text', 'input_text', 'output_text', 'summary_text', 'reasoning_text']);

export function contentBlocks(content: unknown): ContentBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content }];
  if (Array.isArray(content)) return content.flatMap((part) => partBlocks(part, 0));
  return partBlocks(content, 0);
}

function partBlocks(part: unknown, depth: number): ContentBlock[] {
  if (typeof part === 'string') return part === '' ? [] : [{ kind: 'text', text: part }];
  if (!isObject(part) || depth > 4) return [{ kind: 'data', label: 'Data', value: part }];
  const type = str(part['type']);

  // ADK / Gemini
  if (Array.isArray(part['parts'])) return part['parts'].flatMap((p) => partBlocks(p, depth + 1));
  if (isObject(part['functionCall'])) {
    const call = part['functionCall'];
    return [{ kind: 'tool-call', name: str(call['name']) ?? '(unnamed)', callId: str(call['id']), args: call['args'] ?? {} }];
  }
  if (isObject(part['functionResponse'])) {
    const res = part['functionResponse'];
    return [{ kind: 'tool-result', name: str(res['name']), callId: str(res['id']), result: res['response'] ?? null }];
  }
  const inline = part['inlineData'] ?? part['inline_data'] ?? part['fileData'] ?? part['file_data'];
  if (isObject(inline)) {
    const mimeType = str(inline['mimeType']) ?? str(inline['mime_type']) ?? 'binary';
    const data = str(inline['data']);
    const uri = str(inline['fileUri']) ?? str(inline['file_uri']);
    return [{ kind: 'media', mimeType, detail: uri ?? (data ? `${Math.floor((data.length * 3) / 4)} bytes inline` : null) }];
  }

  // Text parts of every framework
  if ((type === null || TEXT_TYPES.has(type)) && typeof part['text'] === 'string') return part['text'] === '' ? [] : [{ kind: 'text', text: part['text'] }];

  // OpenAI (Responses items, Agents SDK items) and chat completions
  if (type === 'function_call' || type === 'function_tool_call') {
    return [{ kind: 'tool-call', name: str(part['name']) ?? '(unnamed)', callId: str(part['call_id']) ?? str(part['callId']), args: parsedJson(part['arguments']) }];
  }
  if (type === 'function_call_output' || type === 'function_call_result') {
    const output = part['output'];
    const result = isObject(output) && output['type'] === 'text' && typeof output['text'] === 'string' ? parsedJson(output['text']) : parsedJson(output);
    return [{ kind: 'tool-result', name: str(part['name']), callId: str(part['call_id']) ?? str(part['callId']), result }];
  }
  // AI SDK
  if (type === 'tool-call') {
    return [{ kind: 'tool-call', name: str(part['toolName']) ?? '(unnamed)', callId: str(part['toolCallId']), args: parsedJson(part['input'] ?? part['args']) ?? {} }];
  }
  if (type === 'tool-result') {
    let result = part['output'] ?? part['result'];
    if (isObject(result) && 'value' in result && typeof result['type'] === 'string') result = result['value'];
    return [{ kind: 'tool-result', name: str(part['toolName']), callId: str(part['toolCallId']), result: parsedJson(result) }];
  }
  // Anthropic
  if (type === 'tool_use') return [{ kind: 'tool-call', name: str(part['name']) ?? '(unnamed)', callId: str(part['id']), args: part['input'] ?? {} }];
  if (type === 'tool_result') return [{ kind: 'tool-result', name: null, callId: str(part['tool_use_id']), result: part['content'] ?? null }];

  // LangChain's serialized messages keep their fields under kwargs.
  if (part['lc'] === 1 && isObject(part['kwargs'])) return partBlocks(part['kwargs'], depth + 1);

  // A message: its content, then its tool calls (chat completions, LangChain).
  if ('content' in part || Array.isArray(part['tool_calls'])) {
    const blocks: ContentBlock[] = [];
    const inner = part['content'];
    if (typeof inner === 'string') {
      if (inner !== '') blocks.push(type === 'tool' || part['role'] === 'tool' ? { kind: 'tool-result', name: str(part['name']), callId: str(part['tool_call_id']), result: parsedJson(inner) } : { kind: 'text', text: inner });
    } else if (Array.isArray(inner)) blocks.push(...inner.flatMap((p) => partBlocks(p, depth + 1)));
    else if (inner !== undefined && inner !== null) blocks.push(...partBlocks(inner, depth + 1));
    if (Array.isArray(part['tool_calls'])) {
      for (const call of part['tool_calls']) {
        if (!isObject(call)) continue;
        const fn = isObject(call['function']) ? call['function'] : call;
        blocks.push({ kind: 'tool-call', name: str(fn['name']) ?? '(unnamed)', callId: str(call['id']), args: parsedJson(fn['arguments'] ?? fn['args']) ?? {} });
      }
    }
    return blocks;
  }
  return [{ kind: 'data', label: type ? `${type}` : 'Data', value: part }];
}
