// Storage protocols shaped by the platform's use cases. Every method that changes state is
// one transaction. No in-process-only state: several platform nodes may share one database.

import EisalCore

/// Taxpayers, ERP clients and POS devices.
public protocol RegistryStore: Sendable {
    func upsertTaxpayer(_ taxpayer: TaxpayerRecord) async throws
    func taxpayer(rin: String) async throws -> TaxpayerRecord?
    func taxpayers() async throws -> [TaxpayerRecord]
    func upsertClient(_ client: ClientRecord) async throws
    func client(id: String) async throws -> ClientRecord?
    func clients() async throws -> [ClientRecord]
    func upsertPOS(_ pos: POSRecord) async throws
    func pos(serial: String) async throws -> POSRecord?
    func posDevices() async throws -> [POSRecord]
    /// Keeps `login` as the POS's last login (one per serial).
    func recordPOSLogin(_ login: POSLoginRecord) async throws
    /// The last login of each POS that has logged in.
    func posLogins() async throws -> [POSLoginRecord]
    /// A named secret shared by all nodes (e.g. the token signing key), created once.
    func secret(named name: String, create: @Sendable () -> [UInt8]) async throws -> [UInt8]
}

/// Submissions as intake writes them and clients poll them.
public protocol SubmissionStore: Sendable {
    /// The most recent submission with this payload hash from this taxpayer received at or
    /// after `since` (duplicate detection).
    func recentSubmission(taxpayerRIN: String, payloadHash: String, since: Int64) async throws -> SubmissionRecord?
    /// Which of `uuids` were already accepted earlier.
    func existingReceiptUUIDs(_ uuids: [String]) async throws -> Set<String>
    /// Commits the submission, its documents and its validation job (of kind `job`) in ONE
    /// transaction. Documents whose UUID is already stored are left out and returned; when all of
    /// them are, nothing is committed. The submission's document count is the number committed.
    /// `text` is the submission as received; each document's text is `text[document.textRange]`.
    /// Each committed document gets the next number of its seller's sequence, in commit order.
    func commitSubmission(_ submission: SubmissionRecord, text: [UInt8], documents: [DocumentRecord], job: JobKind) async throws -> CommittedSubmission
    func submission(uuid: String) async throws -> SubmissionRecord?
    /// Receipts of a submission matching `filter`, in `sort` order (nil: submission order), paged.
    /// `withText: false` leaves ``DocumentRecord/raw`` empty (listings do not show it).
    func receipts(ofSubmission uuid: String, matching filter: ReceiptFilter, sort: ReceiptSort?, pageNo: Int, pageSize: Int,
                  withText: Bool) async throws -> Page<DocumentRecord>
}

extension SubmissionStore {
    /// Receipts of a submission in submission order, paged, optionally filtered by status, number and uuid.
    public func receipts(ofSubmission uuid: String, status: DocumentStatus?, receiptNumber: String?, uuid receiptUUID: String?, pageNo: Int, pageSize: Int,
                         withText: Bool) async throws -> Page<DocumentRecord> {
        var filter = ReceiptFilter()
        filter.status = status
        filter.receiptNumber = receiptNumber
        filter.uuid = receiptUUID
        return try await receipts(ofSubmission: uuid, matching: filter, sort: nil, pageNo: pageNo, pageSize: pageSize, withText: withText)
    }
}

/// Receipts as processing and retrieval see them.
public protocol ReceiptStore: Sendable {
    func receipt(uuid: String) async throws -> DocumentRecord?
    /// Receipts by UUID (those that exist).
    func receipts(uuids: [String]) async throws -> [DocumentRecord]
    /// Receipts of the submission whose number (per seller, branch and POS) is used by an earlier
    /// receipt (lower ``DocumentRecord/sellerSequence``) that is not invalid: `.taken` when such a
    /// receipt has its verdict, `.pending` when the only ones are still awaiting theirs.
    func receiptNumberConflicts(submissionUUID: String) async throws -> [String: NumberConflict]
    /// Where each receipt that exists among `uuids` sits in its POS chain.
    func chainKeys(uuids: [String]) async throws -> [String: ChainKey]
    /// Whether the POS (of this seller) has a receipt earlier than `sequence` in the seller's sequence.
    func posHasReceipts(posSerial: String, taxpayerRIN: String, before sequence: Int64) async throws -> Bool
    /// Return receipts that reference `uuid` (without their texts).
    func returns(referencing uuid: String) async throws -> [DocumentRecord]
    /// Which of `uuids` are referenced by at least one return receipt (one query for a page of rows).
    func uuidsWithReturns(among uuids: [String]) async throws -> Set<String>
    /// One page of matching receipts, without their texts.
    func search(_ query: ReceiptQuery) async throws -> Page<DocumentRecord>
}

/// Leased work of every kind (receipt validation now; notification delivery and scheduled
/// state changes next), claimed by lease so a crashed worker's job is picked up again. A lease
/// is renewed while its job runs; a node that restarts takes its own leases back at once.
public protocol JobQueue: Sendable {
    /// Claims the oldest job of `kind` whose lease is free or expired and that is not deferred
    /// past `now`; `nil` when there is none.
    func claimJob(kind: JobKind, owner: LeaseOwner, now: Int64, leaseSeconds: Int64) async throws -> ClaimedJob?
    /// Extends the lease of `job` to `until` if its owner still holds it; false if the lease was lost.
    func renewLease(_ job: ClaimedJob, until: Int64) async throws -> Bool
    /// Gives `job` back unfinished: no lease, and not claimable before `until`. False if the lease was lost.
    func deferJob(_ job: ClaimedJob, until: Int64) async throws -> Bool
    /// Frees every lease on jobs of `kind` held by workers of `node` (a restarted node: its
    /// previous process is gone, so its jobs need not wait for their leases to run out). Returns how many.
    func releaseLeases(node: String, kind: JobKind) async throws -> Int
    /// Jobs not yet completed.
    func pendingJobCount() async throws -> Int
    /// Jobs claimed by a worker and not completed (in progress, or held by a dead worker until the lease ends).
    func leasedJobCount() async throws -> Int
    /// How many times the job of `kind` for `subject` has been claimed; nil when there is none.
    func jobAttempts(kind: JobKind, subject: String) async throws -> Int?
}

/// Receipt validation's end of a job.
public protocol ValidationStore: JobQueue {
    /// Writes the verdicts, the submission's final status and the notifications they cause, and
    /// removes the job, in ONE transaction, only if `job` is still leased by its owner. Only the
    /// notifications whose recipient has a callback at that moment are kept, and each such
    /// recipient gets a dispatch job (``JobKind/dispatch``) if it has none. Returns false if the
    /// lease was lost (then nothing was written).
    func completeJob(_ job: ClaimedJob, verdicts: [DocumentVerdict], status: SubmissionStatus, invalidCount: Int, notifications: [NotificationRecord],
                     now: Int64) async throws -> Bool
    /// How many times each receipt was given a verdict (for the exactly-once check).
    func verdictCounts(submissionUUID: String) async throws -> [String: Int]
}

/// Callbacks, the notification outbox, deliveries and their log.
public protocol NotificationStore: JobQueue {
    /// Registers (or replaces) a taxpayer's callback.
    func upsertCallback(_ callback: CallbackRecord) async throws
    func callback(taxpayerRIN: String) async throws -> CallbackRecord?
    /// Removes a taxpayer's callback; its pending notifications are failed. False if there was none.
    func removeCallback(taxpayerRIN: String, now: Int64) async throws -> Bool
    func callbacks() async throws -> [CallbackRecord]
    /// Which of `rins` have a callback (a read: validation asks before making notifications, so
    /// nothing is built or signalled for taxpayers without one).
    func recipientsWithCallbacks(among rins: Set<String>) async throws -> Set<String>

    /// The recipient's pending notifications: how many, counting no further than `limit` (a batch
    /// needs no more, and a backlog must not be counted on every delivery), and when the oldest
    /// was created (ms).
    func pendingNotifications(recipientRIN: String, upTo limit: Int) async throws -> (count: Int, oldestCreatedAt: Int64?)
    /// The recipient's open delivery, if it has one (at most one is open at a time).
    func openDelivery(recipientRIN: String) async throws -> DeliveryRecord?
    /// Opens a delivery of up to `maximum` of the recipient's oldest pending notifications of one
    /// path (the oldest one's), in one transaction; `body` makes the exact request body from the
    /// delivery id and the messages. Nil when nothing is pending.
    func openDelivery(recipientRIN: String, maximum: Int, id: String, now: Int64,
                      body: @escaping @Sendable (String, [NotificationRecord]) -> [UInt8]) async throws -> DeliveryRecord?
    /// Records an attempt and its outcome, in one transaction (a delivered or failed delivery
    /// marks its notifications likewise).
    func recordAttempt(_ attempt: DeliveryAttempt, outcome: DeliveryOutcome) async throws
    /// Removes the recipient's dispatch job if nothing is pending or open for it, in one
    /// transaction with that check; false (the job stays) when something arrived meanwhile.
    func finishDispatch(_ job: ClaimedJob) async throws -> Bool
    /// Notifications not yet delivered or failed, of every recipient (the `/metrics` gauge).
    func undeliveredNotificationCount() async throws -> Int
    /// Fails every pending notification of a recipient (no callback to deliver them to).
    func failPendingNotifications(recipientRIN: String, now: Int64) async throws -> Int

    /// A delivery with its attempts and notifications.
    func deliveryLog(id: String) async throws -> DeliveryLogEntry?
    /// A recipient's deliveries, newest first (all recipients when nil).
    func deliveries(recipientRIN: String?, state: DeliveryRecord.State?, pageNo: Int, pageSize: Int) async throws -> Page<DeliveryRecord>
    /// Opens a delivered or failed delivery again, due now, with the same id and body, and makes
    /// sure its recipient has a dispatch job. False when there is no such delivery, or it is open.
    func replayDelivery(id: String, now: Int64) async throws -> Bool
    /// A taxpayer's notifications, newest first, each with its delivery's log.
    func notifications(_ query: NotificationQuery) async throws -> Page<(notification: NotificationRecord, delivery: DeliveryLogEntry?)>
}

/// Everything the platform needs from storage.
public typealias PlatformStore = RegistryStore & SubmissionStore & ReceiptStore & ValidationStore & NotificationStore & DocumentStateStore

extension SubmissionStore {
    /// ``commitSubmission(_:text:documents:job:)`` with the documents' own ``DocumentRecord/raw``
    /// texts (joined into one submission text).
    public func commitSubmission(_ submission: SubmissionRecord, receipts: [DocumentRecord], job: JobKind = .validation) async throws -> CommittedSubmission {
        var text: [UInt8] = []
        var placed: [DocumentRecord] = []
        for var receipt in receipts {
            receipt.textRange = text.count ..< text.count + receipt.raw.count
            text += receipt.raw
            placed.append(receipt)
        }
        return try await commitSubmission(submission, text: text, documents: placed, job: job)
    }
}
