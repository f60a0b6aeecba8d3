// Accepted submissions handed from intake to processing in memory, so the worker that takes the
// job on this node neither reads the receipts back from the store nor parses them again.
// Only an accelerator: the job and every receipt are committed before the entry is added, and
// a job whose entry is missing (evicted, taken by a worker on another node, or a restart) is
// read from the store as before.

import EisalCore
import EisalStore
import Synchronization

/// A bounded, first-in first-out map from submission UUID to its accepted receipts.
final class SubmissionHandoff: Sendable {
    /// The accepted receipts of one submission, in position order.
    struct Entry: Sendable {
        /// The stored records, as committed.
        var records: [DocumentRecord]
        /// Each record's receipt in the parsed submission.
        var receipts: [JSONNode]
        /// Bytes held: the submission text and its tape, and the records' copies.
        var bytes: Int
    }

    private struct State: ~Copyable {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    /// Most bytes held; the oldest entries are dropped beyond it. 0 turns the handoff off.
    let capacityBytes: Int

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Adds the receipts of a committed submission.
    func put(_ submissionUUID: String, _ entry: Entry) {
        guard entry.bytes <= capacityBytes else { return }
        state.withLock { state in
            state.entries[submissionUUID] = entry
            state.order.append(submissionUUID)
            state.bytes += entry.bytes
            while state.bytes > capacityBytes, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                if let dropped = state.entries.removeValue(forKey: oldest) { state.bytes -= dropped.bytes }
            }
        }
    }

    /// Removes and returns the receipts of `submissionUUID`, if still held.
    func take(_ submissionUUID: String) -> Entry? {
        state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: submissionUUID) else { return nil }
            state.bytes -= entry.bytes
            if let i = state.order.firstIndex(of: submissionUUID) { state.order.remove(at: i) }
            return entry
        }
    }

    /// Entries held now (tests and metrics).
    var count: Int { state.withLock { $0.entries.count } }
}
