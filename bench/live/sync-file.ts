import { closeSync, openSync, writeSync } from "node:fs";

/**
 * A file written synchronously, each write whole before the call returns: what a run wrote survives
 * the tool's crash, and a reader beside the run sees every complete line. The descriptor is closed
 * on close() and also when a write fails, since an output that throws is dropped without a close().
 */
export class SyncFile {
  private fd: number | null;

  /** Creates the file, or empties one already there. Throws the file system's error as it is. */
  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Writes all of `text`; after close() it does nothing (a late second has nowhere to go). */
  write(text: string): void {
    const fd = this.fd;
    if (fd === null) return;
    const bytes = Buffer.from(text, "utf8");
    try {
      // A write may take fewer bytes than offered; the rest follows at once.
      for (let written = 0; written < bytes.length; ) {
        written += writeSync(fd, bytes, written, bytes.length - written);
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  close(): void {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    closeSync(fd);
  }
}
