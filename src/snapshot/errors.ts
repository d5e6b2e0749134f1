import { UdtError } from '../errors.js';

/** Why a snapshot is not used; the caller then syncs cold. */
export class SnapshotError extends UdtError {
  constructor(message: string) {
    super('snapshot_unusable', 500, message);
  }
}
