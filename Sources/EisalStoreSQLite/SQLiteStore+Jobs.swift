// Leased jobs: claim, renew, defer, release, and the end of a validation job (verdicts, status
// and the job's removal in one transaction, only while the lease is held).

import EisalCore
import EisalStore
import Foundation
import GRDB
import GRDBSQLite

extension SQLiteStore {
    public func claimJob(kind: JobKind, owner: LeaseOwner, now: Int64, leaseSeconds: Int64) async throws -> ClaimedJob? {
        // A look first, on a reader: most claims that find nothing (a woken worker whose job a
        // sibling already holds, an idle poll) then never queue behind intake's commits for the
        // one writer. A job committed after the look is found by the next signal or poll.
        let claimable = try reading { db in
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT 1 FROM jobs WHERE kind = ? AND (lease_until IS NULL OR lease_until < ?) AND (not_before IS NULL OR not_before <= ?) LIMIT 1
                """), arguments: [kind.rawValue, now, now]) ?? false
        }
        guard claimable else { return nil }
        return try await unsyncedWrite { db in
            // Validation jobs in commit order; dispatch jobs (one per recipient, few) least recently
            // given back first, so a recipient that yields its turn goes behind waiting ones.
            let order = kind == .dispatch ? "coalesce(not_before, 0), id" : "id"
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                UPDATE jobs SET lease_owner = ?, lease_node = ?, lease_until = ?, attempts = attempts + 1
                WHERE id = (SELECT id FROM jobs WHERE kind = ? AND (lease_until IS NULL OR lease_until < ?) AND (not_before IS NULL OR not_before <= ?)
                            ORDER BY \(order) LIMIT 1)
                RETURNING id, submission_uuid, attempts, created_at
                """), arguments: [owner.description, owner.node, now + leaseSeconds, kind.rawValue, now, now]) else { return nil }
            return ClaimedJob(id: row[0], kind: kind, subject: row[1], attempts: row[2], owner: owner, createdAt: row[3])
        }
    }

    public func renewLease(_ job: ClaimedJob, until: Int64) async throws -> Bool {
        try await unsyncedWrite { db in
            try db.cachedStatement(sql: "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?").execute(arguments: [until, job.id, job.owner.description])
            return db.changesCount == 1
        }
    }

    public func deferJob(_ job: ClaimedJob, until: Int64) async throws -> Bool {
        try await unsyncedWrite { db in
            try db.cachedStatement(sql: "UPDATE jobs SET lease_owner = NULL, lease_node = NULL, lease_until = NULL, not_before = ? WHERE id = ? AND lease_owner = ?")
                .execute(arguments: [until, job.id, job.owner.description])
            return db.changesCount == 1
        }
    }

    public func releaseLeases(node: String, kind: JobKind) async throws -> Int {
        try await unsyncedWrite { db in
            try db.execute(sql: "UPDATE jobs SET lease_owner = NULL, lease_node = NULL, lease_until = NULL WHERE lease_node = ? AND kind = ?", arguments: [node, kind.rawValue])
            return db.changesCount
        }
    }

    public func completeJob(_ job: ClaimedJob, verdicts: [DocumentVerdict], status: SubmissionStatus, invalidCount: Int, notifications: [NotificationRecord],
                            now: Int64) async throws -> Bool {
        try await unsyncedWrite { db in
            try db.cachedStatement(sql: "DELETE FROM jobs WHERE id = ? AND lease_owner = ?").execute(arguments: [job.id, job.owner.description])
            guard db.changesCount == 1 else { return false }
            let range = try Row.fetchOne(db.cachedStatement(sql: "SELECT first_receipt_id, last_receipt_id FROM submissions WHERE uuid = ?"), arguments: [job.submissionUUID])
            let first: Int64 = range?[0] ?? 0, last: Int64 = range?[1] ?? -1
            if last - first + 1 == Int64(verdicts.count) {
                // A verdict for every document of the submission: one statement marks them all
                // valid (by key range and submission), then the invalid ones get their status and errors.
                try db.cachedStatement(sql: "UPDATE receipts SET status = ?, errors = '[]', verdicts = verdicts + 1 WHERE id BETWEEN ? AND ? AND submission_uuid = ?")
                    .execute(arguments: [DocumentStatus.valid.rawValue, first, last, job.subject])
                let update = try db.cachedStatement(sql: "UPDATE receipts SET status = ?, errors = ? WHERE uuid = ?")
                for v in verdicts where v.status != .valid { try update.execute(arguments: [v.status.rawValue, Self.errorsText(v.errors), v.uuid]) }
            } else {
                let update = try db.cachedStatement(sql: "UPDATE receipts SET status = ?, errors = ?, verdicts = verdicts + 1 WHERE uuid = ?")
                for v in verdicts { try update.execute(arguments: [v.status.rawValue, Self.errorsText(v.errors), v.uuid]) }
            }
            try db.cachedStatement(sql: "UPDATE submissions SET status = ?, invalid_count = ? WHERE uuid = ?").execute(arguments: [status.rawValue, invalidCount, job.submissionUUID])
            try Self.enqueue(db, notifications, now: now)
            return true
        }
    }

    public func pendingJobCount() async throws -> Int {
        try reading { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs") ?? 0 }
    }

    public func leasedJobCount() async throws -> Int {
        try reading { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE lease_owner IS NOT NULL") ?? 0 }
    }

    public func jobAttempts(kind: JobKind, subject: String) async throws -> Int? {
        try reading { db in try Int.fetchOne(db, sql: "SELECT attempts FROM jobs WHERE kind = ? AND submission_uuid = ?", arguments: [kind.rawValue, subject]) }
    }

    public func verdictCounts(submissionUUID: String) async throws -> [String: Int] {
        try reading { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT uuid, verdicts FROM receipts r WHERE \(Self.ofSubmission)", arguments: [submissionUUID, submissionUUID, submissionUUID]) {
                counts[row["uuid"]] = row["verdicts"]
            }
            return counts
        }
    }
}
