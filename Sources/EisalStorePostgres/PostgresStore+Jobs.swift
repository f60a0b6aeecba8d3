// Leased jobs: claimed with FOR UPDATE SKIP LOCKED (nodes never wait for each other's claims),
// renewed, deferred, released; and the end of a validation job (verdicts, status, notifications and
// the job's removal in one transaction, only while the lease is held).

import EisalCore
import EisalStore
import NIOCore
import PostgresNIO

extension PostgresStore {
    public func claimJob(kind: JobKind, owner: LeaseOwner, now: Int64, leaseSeconds: Int64) async throws -> ClaimedJob? {
        let query = Self.claimQuery(kind: kind, owner: owner, now: now, leaseSeconds: leaseSeconds)
        let rows = kind == .dispatch ? try await prepared(ClaimDispatch.self, query) : try await prepared(ClaimInOrder.self, query)
        guard let row = rows.first else { return nil }
        do {
            let (id, subject, attempts, createdAt) = try row.decode((Int64, String, Int64, Int64).self)
            return ClaimedJob(id: id, kind: kind, subject: subject, attempts: Int(attempts), owner: owner, createdAt: createdAt)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Validation jobs in commit order; dispatch jobs least recently given back first, so a
    /// recipient that yields its turn goes behind waiting ones.
    static func claimQuery(kind: JobKind, owner: LeaseOwner, now: Int64, leaseSeconds: Int64) -> PostgresQuery {
        let order = kind == .dispatch ? "coalesce(not_before, 0), id" : "id"
        return """
            UPDATE jobs SET lease_owner = \(owner.description), lease_node = \(owner.node), lease_until = \(now + leaseSeconds), attempts = attempts + 1
            WHERE id = (SELECT id FROM jobs WHERE kind = \(kind.rawValue) AND (lease_until IS NULL OR lease_until < \(now))
                        AND (not_before IS NULL OR not_before <= \(now)) ORDER BY \(unescaped: order) LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, submission_uuid, attempts, created_at
            """
    }

    enum ClaimInOrder: PreparedShape {
        static let sql = PostgresStore.claimQuery(kind: .validation, owner: LeaseOwner(node: "", worker: 0), now: 0, leaseSeconds: 0).sql
    }

    enum ClaimDispatch: PreparedShape {
        static let sql = PostgresStore.claimQuery(kind: .dispatch, owner: LeaseOwner(node: "", worker: 0), now: 0, leaseSeconds: 0).sql
    }

    public func renewLease(_ job: ClaimedJob, until: Int64) async throws -> Bool {
        !(try await unsyncedStatement("UPDATE jobs SET lease_until = \(until) WHERE id = \(job.id) AND lease_owner = \(job.owner.description) RETURNING 1")).isEmpty
    }

    public func deferJob(_ job: ClaimedJob, until: Int64) async throws -> Bool {
        !(try await unsyncedStatement("""
            UPDATE jobs SET lease_owner = NULL, lease_node = NULL, lease_until = NULL, not_before = \(until)
            WHERE id = \(job.id) AND lease_owner = \(job.owner.description) RETURNING 1
            """)).isEmpty
    }

    public func releaseLeases(node: String, kind: JobKind) async throws -> Int {
        try await unsyncedStatement("""
            UPDATE jobs SET lease_owner = NULL, lease_node = NULL, lease_until = NULL WHERE lease_node = \(node) AND kind = \(kind.rawValue) RETURNING 1
            """).count
    }

    public func completeJob(_ job: ClaimedJob, verdicts: [DocumentVerdict], status: SubmissionStatus, invalidCount: Int, notifications: [NotificationRecord],
                            now: Int64) async throws -> Bool {
        // ONE statement, its own transaction (unsynced, as job bookkeeping): nothing is written
        // unless the job is deleted while its owner holds the lease. The notifications' writers'
        // lock (the recipients' callback rows FOR SHARE) is taken before their ids are
        // (PostgresStore+Notifications.swift).
        let rows = try await prepared(CompleteJob.self, Self.completeQuery(job, verdicts: verdicts, status: status, invalidCount: invalidCount,
                                                                          notifications: notifications, now: now))
        guard let row = rows.first else { return false }
        do { return try row.decode((Bool, Int64, Int64, Int64, Int64).self).0 } catch { throw Self.storeError(error) }
    }

    static func completeQuery(_ job: ClaimedJob, verdicts: [DocumentVerdict], status: SubmissionStatus, invalidCount: Int, notifications: [NotificationRecord],
                              now: Int64) -> PostgresQuery {
        let recipients = Array(Set(notifications.map(\.recipientRIN))).sorted()
        let rows = NotificationRow.rows(notifications)
        return """
            WITH claimed AS (DELETE FROM jobs WHERE id = \(job.id) AND lease_owner = \(job.owner.description) RETURNING 1),
            verdicts AS (
                UPDATE receipts r SET status = v.status, errors = v.errors, verdicts = r.verdicts + 1
                FROM unnest(\(verdicts.map(\.uuid))::text[], \(verdicts.map(\.status.rawValue))::text[], \(verdicts.map { StoredValues.errorsText($0.errors) })::text[])
                    AS v(uuid, status, errors)
                WHERE r.uuid = v.uuid AND EXISTS (SELECT 1 FROM claimed) RETURNING 1),
            submission AS (
                UPDATE submissions SET status = \(status.rawValue), invalid_count = \(Int64(invalidCount))
                WHERE uuid = \(job.subject) AND EXISTS (SELECT 1 FROM claimed) RETURNING 1),
            recipients AS (
                SELECT taxpayer_rin FROM callbacks WHERE taxpayer_rin = ANY(\(recipients)::text[]) AND EXISTS (SELECT 1 FROM claimed)
                ORDER BY taxpayer_rin FOR SHARE),
            queued AS (
                INSERT INTO notifications (recipient_rin, path, type, document_uuid, message, created_at, state, count)
                SELECT n.recipient, n.path, n.type, n.document, n.message, n.created, 'pending', n.count
                FROM unnest(\(rows.map(\.recipientRIN))::text[], \(rows.map(\.path.rawValue))::text[], \(rows.map(\.type))::text[],
                            \(rows.map(\.documents))::text[], \(rows.map { ByteBuffer(bytes: $0.messages) })::bytea[],
                            \(rows.map(\.createdAt))::int8[], \(rows.map { Int64($0.count) })::int8[])
                    WITH ORDINALITY AS n(recipient, path, type, document, message, created, count, ord)
                JOIN recipients c ON c.taxpayer_rin = n.recipient ORDER BY n.ord RETURNING 1),
            dispatch AS (
                INSERT INTO jobs (kind, submission_uuid, created_at) SELECT \(JobKind.dispatch.rawValue), taxpayer_rin, \(now) FROM recipients
                ON CONFLICT (submission_uuid) WHERE kind = 'dispatch' DO NOTHING RETURNING 1)
            SELECT EXISTS (SELECT 1 FROM claimed), (SELECT count(*) FROM verdicts), (SELECT count(*) FROM submission), (SELECT count(*) FROM queued),
                   (SELECT count(*) FROM dispatch)
            """
    }

    enum CompleteJob: PreparedShape {
        static let sql = PostgresStore.completeQuery(ClaimedJob(id: 0, subject: "", attempts: 0, owner: LeaseOwner(node: "", worker: 0), createdAt: 0), verdicts: [],
                                                     status: .valid, invalidCount: 0, notifications: [], now: 0).sql
    }

    public func pendingJobCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM jobs") { try $0.decode(Int64.self) }.first ?? 0)
    }

    public func leasedJobCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM jobs WHERE lease_owner IS NOT NULL") { try $0.decode(Int64.self) }.first ?? 0)
    }

    public func jobAttempts(kind: JobKind, subject: String) async throws -> Int? {
        try await rows("SELECT attempts FROM jobs WHERE kind = \(kind.rawValue) AND submission_uuid = \(subject)") { Int(try $0.decode(Int64.self)) }.first
    }

    public func verdictCounts(submissionUUID: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for (uuid, verdicts) in try await rows("SELECT uuid, verdicts FROM receipts WHERE submission_uuid = \(submissionUUID)", { try $0.decode((String, Int64).self) }) {
            counts[uuid] = Int(verdicts)
        }
        return counts
    }
}
