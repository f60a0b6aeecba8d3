// The cancel/reject life cycle of invoice documents (spec/documents-api.md "Cancel / Reject",
// "Decline Cancellation / Decline Rejection"): what was requested, when, and when it takes or
// took effect. The rules deciding a change live in the platform; the store applies a decided
// change atomically with what it causes (status, notifications, the scheduled job).

/// A document's life-cycle record (all times in seconds since the epoch; nil: never happened).
public struct DocumentLifecycle: Sendable, Hashable {
    public var cancelRequestedAt: Int64?
    /// When the cancellation takes effect unless the receiver declines it.
    public var cancelEffectiveAt: Int64?
    public var cancelReason: String?
    public var cancelDeclinedAt: Int64?
    public var rejectRequestedAt: Int64?
    /// Until when the issuer may decline the rejection.
    public var rejectEffectiveAt: Int64?
    public var rejectReason: String?
    public var rejectDeclinedAt: Int64?

    public init() {}
}

/// A change decided by the platform: the document's new status (nil: unchanged), its new
/// life-cycle record, the notifications it causes, and when the document's scheduled job runs
/// next (nil: it has none).
public struct DocumentTransition: Sendable {
    public var status: DocumentStatus?
    public var lifecycle: DocumentLifecycle
    public var notifications: [NotificationRecord]
    public var scheduleAt: Int64?

    public init(status: DocumentStatus? = nil, lifecycle: DocumentLifecycle, notifications: [NotificationRecord] = [], scheduleAt: Int64? = nil) {
        self.status = status
        self.lifecycle = lifecycle
        self.notifications = notifications
        self.scheduleAt = scheduleAt
    }
}

extension JobKind {
    /// A document's scheduled life-cycle change (subject: the document UUID; at most one job each).
    public static let documentState = JobKind(rawValue: "document-state")
}

/// Stores the life cycle of documents.
public protocol DocumentStateStore: JobQueue {
    /// The document's life-cycle record (empty when nothing was requested); nil when the document does not exist.
    func lifecycle(uuid: String) async throws -> DocumentLifecycle?
    /// Reads the document and its life-cycle record, lets `decide` choose a transition (nil: no
    /// change) and an outcome, and applies the transition in the same transaction: status,
    /// record, notifications (for recipients with a callback, with their dispatch jobs), and the
    /// document's `documentState` job (created, moved to `scheduleAt`, or removed when nil).
    /// Returns nil when the document does not exist.
    func transitionDocument<Outcome: Sendable>(uuid: String, now: Int64,
                                               _ decide: @escaping @Sendable (DocumentRecord, DocumentLifecycle) -> (DocumentTransition?, Outcome)) async throws -> Outcome?
}
