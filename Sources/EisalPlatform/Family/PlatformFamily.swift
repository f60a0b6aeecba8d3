// The seam between what every family of documents shares on the platform and what one family
// defines. Shared (IntakeService, DocumentValidation, the store): the size limit, parsing once,
// duplicate payloads, the issuer check, one transaction and the 202; claiming a job, loading its
// documents, committing verdicts and the submission's status; the stored submission and document
// records. Per family (a ``PlatformFamily``): the core's ``DocumentRules`` (structure, facts, UUID,
// full validation), who may submit, per-document checks against the registry, and the rules
// about other stored documents. Receipts are the first family (ReceiptFamily); invoice
// documents are the next.

import EisalCore
import EisalStore

/// What one job's documents were judged to be.
enum Judgement: Sendable {
    /// Each document's errors, in the order given (empty: valid).
    case verdicts([[ETAError]])
    /// Not yet decidable (an earlier document's verdict is pending): try again from `until`.
    case wait(until: Int64, reason: String)
}

/// A family of documents as the platform runs it.
protocol PlatformFamily: Sendable {
    associatedtype Rules: DocumentRules
    /// What the family learns about one submission before judging its documents.
    associatedtype Admission: Sendable
    /// What the family keeps while checking one submission's UUIDs.
    associatedtype UUIDCheck

    /// The core's rules of the family.
    var rules: Rules { get }
    /// The family (name, submission key, number key, validation job).
    var family: DocumentFamily { get }

    /// Checks of the caller alone, before the body is parsed (throws a contract error).
    func admitCaller(_ principal: Principal) async throws
    /// The issuer RIN a document names (before its structure is checked); nil when it names none.
    func issuer(of document: JSONNode) -> String?
    /// Checks of the whole submission's documents, by their facts (throws a contract error), and
    /// what they learned.
    func admit(_ documents: [DocumentFacts], principal: Principal) async throws -> Admission
    /// A document's synchronous platform check once its structure passed: why it is refused, or nil.
    func rejection(of facts: DocumentFacts, principal: Principal, admission: Admission) -> DocumentRejection?
    /// Per-submission state for explaining UUID mismatches.
    func uuidCheck(for submission: JSONNode) -> UUIDCheck
    /// The details of a UUID mismatch (what the client probably did), if known.
    func explainMismatch(_ document: JSONNode, claimed: String, computed: String, check: inout UUIDCheck) -> [ETAError]?

    /// The verdicts of one validation job's documents, as of their reception; `nodes` are the
    /// parsed documents when this node still holds them (else each record's `raw` text is parsed).
    func judge(_ documents: [DocumentRecord], nodes: [JSONNode]?, job: ClaimedJob) async throws -> Judgement

    /// The notifications a job's verdicts cause (`errors[k]` empty: document k is valid), made at
    /// `milliseconds`, for the `recipients` only: those of the documents' issuers and receivers
    /// that have a callback (the store keeps only those in any case).
    func notifications(for documents: [DocumentRecord], errors: [[ETAError]], at milliseconds: Int64, recipients: Set<String>) -> [NotificationRecord]
}

/// Why a document is refused at intake.
struct DocumentRejection: Sendable {
    var message: String
    /// The document property at fault.
    var propertyPath: String
}

extension PlatformFamily {
    var family: DocumentFamily { rules.family }
}
