// Where an image comes from, and checking a controller-side source before anything is sent: its sha256 against the
// expected one, and (for a release tarball) the size and sha256 of the image inside it.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { PassThrough, type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { TarMember } from "./tar-member.js";

/** The host downloads `url`; or the controller streams `localFile` / `stream()` over the SSH channel's stdin. */
export type ImageSource = { url: string } | { localFile: string } | { stream: () => Readable };

/** "raw": the source is the disk image. "tar.gz": a gzip tarball holding it (pine releases: `image.pine`). */
export type ImageFormat = "raw" | "tar.gz";

export interface SourceCheck {
  sourceSha256: string;
  sourceBytes: number;
  imageSha256: string;
  imageBytes: number;
}

/** A fresh stream of a controller-side source (a stream() source is asked again each time: it must repeat itself). */
export function openLocal(source: ImageSource): Readable {
  if ("localFile" in source) return createReadStream(source.localFile, { highWaterMark: 1 << 20 });
  if ("stream" in source) return source.stream();
  throw new Error("a url source is read by the host, not the controller");
}

/** Read a controller-side source once: hash it, and for a tar.gz, find the member and hash that too. */
export async function checkLocal(source: ImageSource, format: ImageFormat, member: string): Promise<SourceCheck> {
  const outer = createHash("sha256");
  const inner = createHash("sha256");
  let sourceBytes = 0;
  let imageBytes = 0;
  const counted = new PassThrough({
    transform(chunk: Buffer, _enc, done) {
      outer.update(chunk);
      sourceBytes += chunk.length;
      done(null, chunk);
    },
  });
  if (format === "raw") {
    await pipeline(openLocal(source), counted, new Writable({ write: (_c, _e, done) => done() }));
    const sha = outer.digest("hex");
    return { sourceSha256: sha, sourceBytes, imageSha256: sha, imageBytes: sourceBytes };
  }
  const tar = new TarMember(member, (chunk) => {
    inner.update(chunk);
    imageBytes += chunk.length;
  });
  await pipeline(openLocal(source), counted, createGunzip(), tar);
  if (!tar.found) throw new Error(`the tarball holds no ${member}`);
  return { sourceSha256: outer.digest("hex"), sourceBytes, imageSha256: inner.digest("hex"), imageBytes };
}

export function describeSource(source: ImageSource): string {
  if ("url" in source) return source.url;
  if ("localFile" in source) return `${source.localFile} (on the controller)`;
  return "a stream from the controller";
}
