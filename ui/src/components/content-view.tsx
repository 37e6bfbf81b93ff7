import { contentBlocks, type ContentBlock } from '../lib/content.js';
import { JsonView } from './json-view.js';

/** An event's content as readable blocks; tool calls and results fold open on demand. */
export function ContentView({ content }: { content: unknown }) {
  const blocks = contentBlocks(content);
  if (!blocks.length) return <p class="muted no-content">No content.</p>;
  return (
    <div class="content">
      {blocks.map((b, i) => (
        <Block block={b} key={i} />
      ))}
    </div>
  );
}

function Block({ block }: { block: ContentBlock }) {
  switch (block.kind) {
    case 'text':
      return <p class="text">{block.text}</p>;
    case 'tool-call':
      return (
        <details class="tool tool-call">
          <summary>
            <span class="tool-kind">Tool call</span> <code class="tool-name">{block.name}</code>
            {block.callId && <span class="tool-id"> · {block.callId}</span>}
          </summary>
          <JsonView value={block.args} label={`Arguments of ${block.name}`} />
        </details>
      );
    case 'tool-result':
      return (
        <details class="tool tool-result">
          <summary>
            <span class="tool-kind">Tool result</span> {block.name && <code class="tool-name">{block.name}</code>}
            {block.callId && <span class="tool-id"> · {block.callId}</span>}
          </summary>
          {typeof block.result === 'string' ? <p class="text">{block.result}</p> : <JsonView value={block.result} label={`Result${block.name ? ` of ${block.name}` : ''}`} />}
        </details>
      );
    case 'media':
      return (
        <p class="media">
          <span class="tool-kind">Attachment</span> {block.mimeType}
          {block.detail && <span class="muted"> · {block.detail}</span>}
        </p>
      );
    case 'data':
      return (
        <details class="tool data" open>
          <summary>
            <span class="tool-kind">{block.label}</span>
          </summary>
          <JsonView value={block.value} />
        </details>
      );
  }
}
