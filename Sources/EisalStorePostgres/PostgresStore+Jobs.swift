// Leased jobs: claimed with FOR UPDATE SKIP LOCKED (nodes never wait for each other's claims),
// renewed, deferred, released; and the end of a validation job (verdicts, status, notifications and
// the job's removal in one transaction, only while the lease is held).

import EisalCore
import EisalStore
import PostgresNIO

extension PostgresStore {
    public func claimJob(kind: JobKind, owner: LeaseOwner, now: Int64, leaseSeconds: Int64) async throws -> ClaimedJob? {
        // Validation jobs in commit order; dispatch jobs least recently given back first, so a
        // recipient that yields its turn goes behind waiting ones.
        let order = kind == .dispatch ? "coalesce(not_before, 0), id" : "id"
        guard let row = try await unsyncedStatement("""
                UPDATE jobs SET lease_owner = \(owner.description), lease_node = \(owner.node), lease_until = \(now + leaseSeconds), attempts = attempts + 1
                WHERE id = (SELECT id FROM jobs WHERE kind = \(kind.rawValue) AND (lease_until IS NULL OR lease_until < \(now))
                            AND (not_before IS NULL OR not_before <= \(now)) ORDER BY \(unescaped: order) LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING id, submission_uuid, attempts, created_at
            """).first else { return nil }
        let (id, subject, attempts, createdAt) = try row.decode((Int64, String, Int64, Int64).self)
        return ClaimedJob(id: id, kind: kind, subject: subject, attempts: Int(attempts), owner: owner, createdAt: createdAt)
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
        try await writing(synced: false) { c in
            guard !(try await c.rows("DELETE FROM jobs WHERE id = \(job.id) AND lease_owner = \(job.owner.description) RETURNING 1", self.logger)).isEmpty else { return false }
            let documents = try await c.rows("SELECT receipt_count FROM submissions WHERE uuid = \(job.subject)", self.logger).first?.decode(Int64.self) ?? -1
            let others = documents == Int64(verdicts.count) ? verdicts.filter { $0.status != .valid } : verdicts
            if documents == Int64(verdicts.count) {
                // A verdict for every document: one statement marks them all valid, then the
                // others get their status and errors.
                try await c.rows("""
                    UPDATE receipts SET status = \(DocumentStatus.valid.rawValue), errors = '[]', verdicts = verdicts + 1 WHERE submission_uuid = \(job.subject)
                    """, self.logger)
            }
            if !others.isEmpty {
                let increment: Int64 = documents == Int64(verdicts.count) ? 0 : 1
                try await c.rows("""
                    UPDATE receipts r SET status = v.status, errors = v.errors, verdicts = r.verdicts + \(increment)
                    FROM unnest(\(others.map(\.uuid))::text[], \(others.map(\.status.rawValue))::text[], \(others.map { StoredValues.errorsText($0.errors) })::text[])
                        AS v(uuid, status, errors)
                    WHERE r.uuid = v.uuid
                    """, self.logger)
            }
            try await c.rows("UPDATE submissions SET status = \(status.rawValue), invalid_count = \(Int64(invalidCount)) WHERE uuid = \(job.subject)", self.logger)
            try await self.enqueue(c, notifications, now: now)
            return true
        }
    }

    public func pendingJobCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM jobs").first?.decode(Int64.self) ?? 0)
    }

    public func leasedJobCount() async throws -> Int {
        Int(try await rows("SELECT COUNT(*) FROM jobs WHERE lease_owner IS NOT NULL").first?.decode(Int64.self) ?? 0)
    }

    public func jobAttempts(kind: JobKind, subject: String) async throws -> Int? {
        try await rows("SELECT attempts FROM jobs WHERE kind = \(kind.rawValue) AND submission_uuid = \(subject)").first.map { Int(try $0.decode(Int64.self)) }
    }

    public func verdictCounts(submissionUUID: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await rows("SELECT uuid, verdicts FROM receipts WHERE submission_uuid = \(submissionUUID)") {
            let (uuid, verdicts) = try row.decode((String, Int64).self)
            counts[uuid] = Int(verdicts)
        }
        return counts
    }
}
