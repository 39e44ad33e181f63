// The validated form of one `spec.imageUpdates[]` entry (daemon/config/parse-image-updates.ts
// builds it). Types only: config/ imports this file without loading the write-back machinery,
// and nothing here imports config/ (see the rule at the top of daemon/config/types.ts).

export interface ImageUpdateSpec {
  name: string;
  /** Name of the source whose repository is written to. */
  source: string;
  /** Directory in the repository ("" is the root). */
  path: string;
  /** Branch to push to; absent: the source's branch. */
  branch?: string;
  author: { name: string; email: string };
  /** See message.ts for placeholders; default Flux's "Update from image update automation". */
  messageTemplate?: string;
  signingKey?: { file: string };
}
