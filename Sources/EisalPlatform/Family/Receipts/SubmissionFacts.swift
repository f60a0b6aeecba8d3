// What the platform rules of one submission need to know about other receipts, read from the
// store in a few batched queries, and which of those receipts are still awaiting their own
// verdicts.
//
// A verdict must never depend on processing timing (issue 14). Every rule that looks at other
// receipts looks only at receipts of the same seller that are earlier in the seller's sequence
// (``DocumentRecord/sellerSequence``, assigned at commit in commit order) or in the same
// submission; that set is fixed once this submission is committed. Only their verdicts may still
// be pending, and then the job waits for them (deferred, bounded by
// ``PlatformConfiguration/dependencyWaitSeconds``) instead of deciding early. The dependencies
// always point to earlier commits, so waiting can never go round in a circle.

import EisalCore
import EisalStore

/// The receipts one submission's platform rules refer to.
struct SubmissionFacts: Sendable {
    /// Returns' referenced receipts that are stored outside this submission, by UUID.
    var referenced: [String: DocumentRecord] = [:]
    /// Receipt-number conflicts with earlier receipts, by the conflicting receipt's UUID.
    var numberConflicts: [String: NumberConflict] = [:]
    /// Chain positions of the `previousUUID`s that are stored outside this submission.
    var chain: [String: ChainKey] = [:]
    /// Receipts of this submission by UUID, with their positions.
    var positions: [String: Int] = [:]

    /// Reads the facts for `receipts` (one submission, position order).
    static func read(_ receipts: [DocumentRecord], submission: String, store: some ReceiptStore) async throws -> SubmissionFacts {
        var facts = SubmissionFacts()
        facts.positions = Dictionary(receipts.map { ($0.uuid, $0.position) }, uniquingKeysWith: { a, _ in a })
        let references = Set(receipts.map(\.referenceUUID).filter { !$0.isEmpty && facts.positions[$0] == nil })
        for record in try await store.receipts(uuids: Array(references)) { facts.referenced[record.uuid] = record }
        facts.numberConflicts = try await store.receiptNumberConflicts(submissionUUID: submission)
        let previous = Set(receipts.map(\.previousUUID).filter { !$0.isEmpty && facts.positions[$0] == nil })
        facts.chain = try await store.chainKeys(uuids: Array(previous))
        return facts
    }

    /// The earlier receipt a return refers to, when it is stored outside this submission and
    /// counts: same seller and earlier in the seller's sequence (a receipt committed after the
    /// return never counts, whenever the return is processed), or another seller's (which the
    /// reference rule refuses whatever its status).
    func reference(of receipt: DocumentRecord) -> DocumentRecord? {
        guard let referenced = referenced[receipt.referenceUUID] else { return nil }
        if referenced.sellerRIN == receipt.sellerRIN, referenced.sellerSequence >= receipt.sellerSequence { return nil }
        return referenced
    }

    /// What `receipt`'s verdict still waits for: an earlier receipt of its seller, outside this
    /// submission, whose own verdict is pending. Nil when everything it depends on is decided.
    func pendingDependency(of receipt: DocumentRecord) -> String? {
        if ReceiptKind(code: receipt.receiptType) == .return, let sale = reference(of: receipt),
           sale.sellerRIN == receipt.sellerRIN, sale.status == .submitted {
            return "referenced receipt \(sale.uuid)"
        }
        if numberConflicts[receipt.uuid] == .pending { return "an earlier receipt numbered '\(receipt.receiptNumber)'" }
        return nil
    }
}
