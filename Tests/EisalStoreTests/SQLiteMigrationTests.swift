import EisalCore
import EisalStore
@testable import EisalStoreSQLite
import EisalTestSupport
import Foundation
import GRDB
import Testing

@Suite("SQLite store: migrations, durability, texts (real file)")
struct StoreMigrationTests {
    /// A database written by the v1 schema (receipt texts inline) opens with every receipt, its
    /// text and its verdict intact, and keeps working.
    @Test func version1DatabaseKeepsEveryReceipt() async throws {
        let directory = try TemporaryDirectory("migration")
        defer { directory.remove() }
        let path = directory.file("eisal.sqlite")

        let v1 = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(v1, upTo: "v1")
        try await v1.write { db in
            try db.execute(sql: "INSERT INTO submissions VALUES ('S1', '100000001', 'c', 'P1', 'n', 'POS', 1, 'h', 'Valid', 2, 1, NULL)")
            for (n, uuid, reference, status) in [(0, "a1", "", "Valid"), (1, "b2", "a1", "Invalid")] {
                try db.execute(sql: """
                    INSERT INTO receipts (uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial,
                        buyer_type, buyer_id, buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method,
                        date_time_issued, issued_at, received_at, previous_uuid, reference_uuid, status, errors, verdicts, raw)
                    VALUES (?, 'S1', 'L', ?, ?, '100000001', 'Seller', '0', 'P1', 'P', '', '', ?, '1.2', 'EGP', '10.50', '0', 'C',
                        '2026-11-23T10:00:00Z', 100, 200, '', ?, ?, '[]', 1, ?)
                    """, arguments: [uuid, "R-\(n)", n, reference.isEmpty ? "s" : "r", reference, status, Data("{\"n\":\(n)}".utf8)])
            }
        }
        try v1.close()

        let store = try SQLiteStore(path: path)
        let a1 = try #require(try await store.receipt(uuid: "a1"))
        #expect(a1.raw == Array(#"{"n":0}"#.utf8))
        #expect(a1.status == .valid && a1.totalAmount == "10.50" && a1.receiptNumber == "R-0")
        let listed = try await store.receipts(ofSubmission: "S1", status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 10, withText: true)
        #expect(listed.items.map(\.uuid) == ["a1", "b2"])
        #expect(listed.items.map(\.raw) == [Array(#"{"n":0}"#.utf8), Array(#"{"n":1}"#.utf8)])
        #expect(try await store.returns(referencing: "a1").map(\.uuid) == ["b2"])
        #expect(try await store.uuidsWithReturns(among: ["a1", "b2"]) == ["a1"])
        #expect(try await store.verdictCounts(submissionUUID: "S1") == ["a1": 1, "b2": 1])

        // New receipts after the migration get their own texts.
        _ = try await store.commitSubmission(
            SubmissionRecord(uuid: "S2", taxpayerRIN: "100000001", clientID: "c", posSerial: "P1", submitterName: "n", channel: "POS", receivedAt: 300, payloadHash: "h2", receiptCount: 1),
            receipts: [DocumentRecord(uuid: "c3", submissionUUID: "S2", longId: "L", receiptNumber: "R-2", position: 0, sellerRIN: "100000001", sellerName: "Seller",
                                     branchCode: "0", posSerial: "P1", buyerType: "P", buyerId: "", buyerName: "", receiptType: "s", typeVersion: "1.2",
                                     currency: "EGP", totalAmount: "1", exchangeRate: "0", paymentMethod: "C", dateTimeIssued: "2026-11-23T10:05:00Z",
                                     issuedAt: 400, receivedAt: 300, previousUUID: "a1", referenceUUID: "", raw: Array(#"{"n":2}"#.utf8))])
        #expect(try await store.receipt(uuid: "c3")?.raw == Array(#"{"n":2}"#.utf8))
        #expect(try await store.receipt(uuid: "a1")?.raw == Array(#"{"n":0}"#.utf8))
    }

    /// Durability `full` really syncs every commit (GRDB's WAL setup would leave the writer on NORMAL).
    @Test func fullDurabilityIsInForceOnTheWriter() async throws {
        let directory = try TemporaryDirectory("sync")
        defer { directory.remove() }
        let full = try SQLiteStore(path: directory.file("full.sqlite"), durability: .full)
        #expect(try await full.writerSynchronousSetting() == 2)
        // Job bookkeeping commits unsynced, then the writer is back on FULL for the next intake commit.
        _ = try await full.claimJob(kind: .validation, owner: LeaseOwner(node: "t", worker: 0), now: 0, leaseSeconds: 1)
        #expect(try await full.writerSynchronousSetting() == 2)
        let normal = try SQLiteStore(path: directory.file("normal.sqlite"), durability: .normal)
        #expect(try await normal.writerSynchronousSetting() == 1)
    }

    static func record(_ uuid: String, submission: String, position: Int) -> DocumentRecord {
        DocumentRecord(uuid: uuid, submissionUUID: submission, longId: "L", receiptNumber: "R-\(uuid)", position: position, sellerRIN: "100000001", sellerName: "S",
                      branchCode: "0", posSerial: "P1", buyerType: "P", buyerId: "", buyerName: "", receiptType: "s", typeVersion: "1.2", currency: "EGP",
                      totalAmount: "1", exchangeRate: "0", paymentMethod: "C", dateTimeIssued: "2026-11-23T10:00:00Z", issuedAt: 400, receivedAt: 300,
                      previousUUID: "", referenceUUID: "", raw: Array("{\"u\":\"\(uuid)\"}".utf8))
    }

    static func submission(_ uuid: String, count: Int) -> SubmissionRecord {
        SubmissionRecord(uuid: uuid, taxpayerRIN: "100000001", clientID: "c", posSerial: "P1", submitterName: "n", channel: "POS", receivedAt: 300,
                         payloadHash: uuid, receiptCount: count)
    }

    /// Receipts already stored are left out of a commit and reported, in the same transaction
    /// (so two submissions racing with the same receipt cannot both store it).
    @Test func duplicateReceiptsAreLeftOutAtCommit() async throws {
        let directory = try TemporaryDirectory("dup")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("eisal.sqlite"))
        #expect(try await store.commitSubmission(Self.submission("S1", count: 2), receipts: [Self.record("a", submission: "S1", position: 0), Self.record("b", submission: "S1", position: 1)]).duplicates.isEmpty)
        // One stored already, one new: the new one is committed alone, with its own key range.
        let mixed = try await store.commitSubmission(Self.submission("S2", count: 2), receipts: [Self.record("b", submission: "S2", position: 0), Self.record("c", submission: "S2", position: 1)])
        #expect(mixed.duplicates == ["b"])
        #expect(try await store.submission(uuid: "S2")?.receiptCount == 1)
        #expect(try await store.receipts(ofSubmission: "S2", status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 10, withText: true).items.map(\.uuid) == ["c"])
        #expect(try await store.receipt(uuid: "b")?.submissionUUID == "S1")
        #expect(try await store.receipt(uuid: "c")?.raw == Array(#"{"u":"c"}"#.utf8))
        // All stored already: nothing is committed, not even the submission or its job.
        let jobsBefore = try await store.pendingJobCount()
        let textsBefore = try await store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM submission_texts") }
        #expect(try await store.commitSubmission(Self.submission("S3", count: 1), receipts: [Self.record("a", submission: "S3", position: 0)]).duplicates == ["a"])
        #expect(try await store.submission(uuid: "S3") == nil)
        #expect(try await store.pendingJobCount() == jobsBefore)
        #expect(try await store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM submission_texts") } == textsBefore)
        // Verdicts by key range leave every receipt of the submission with one verdict.
        let job = try #require(try await store.claimJob(kind: .validation, owner: LeaseOwner(node: "w", worker: 0), now: 0, leaseSeconds: 60))
        let receipts = try await store.receipts(ofSubmission: job.submissionUUID, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 10, withText: false).items
        let verdicts = receipts.enumerated().map { DocumentVerdict(uuid: $1.uuid, status: $0 == 0 ? .invalid : .valid, errors: $0 == 0 ? [ETAError(code: "X", message: "")] : []) }
        #expect(try await store.completeJob(job, verdicts: verdicts, status: .invalid, invalidCount: 1, notifications: [], now: 1))
        let after = try await store.receipts(ofSubmission: job.submissionUUID, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 10, withText: false).items
        #expect(after.map(\.status) == verdicts.map(\.status))
        #expect(after.first?.errors == [ETAError(code: "X", message: "")])
        #expect(Set(try await store.verdictCounts(submissionUUID: job.submissionUUID).values) == [1])
    }

    /// The submission text is stored once, byte for byte as received; each receipt's text is
    /// its slice of it, alone, in listings and in lookups by UUID.
    @Test func submissionTextIsStoredOnceAsReceived() async throws {
        let directory = try TemporaryDirectory("text")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("eisal.sqlite"))
        let first = #"{ "u" : "x", "n": 10.50 }"#, second = #"{"u":"y","s":"\u0627"}"#
        let text = Array(#"{"receipts": ["#.utf8) + Array(first.utf8) + Array(" ,\n  ".utf8) + Array(second.utf8) + Array(#"], "signatures": [{"signatureType":"I","value":"MIIx"}]}"#.utf8)
        let firstStart = Array(#"{"receipts": ["#.utf8).count
        let secondStart = firstStart + first.utf8.count + Array(" ,\n  ".utf8).count
        var rx = Self.record("x", submission: "S1", position: 0), ry = Self.record("y", submission: "S1", position: 1)
        rx.raw = []; ry.raw = []
        rx.textRange = firstStart ..< firstStart + first.utf8.count
        ry.textRange = secondStart ..< secondStart + second.utf8.count
        #expect(try await store.commitSubmission(Self.submission("S1", count: 2), text: text, documents: [rx, ry], job: .validation).duplicates.isEmpty)
        #expect(try await store.pool.read { try [UInt8](Data.fetchAll($0, sql: "SELECT raw FROM submission_texts").first ?? Data()) } == text)
        #expect(try await store.receipt(uuid: "x")?.raw == Array(first.utf8))
        #expect(try await store.receipt(uuid: "y")?.raw == Array(second.utf8))
        let listed = try await store.receipts(ofSubmission: "S1", status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 10, withText: true).items
        #expect(listed.map(\.raw) == [Array(first.utf8), Array(second.utf8)])
        #expect(try await store.receipts(uuids: ["y", "x"]).map(\.raw).sorted { $0.count < $1.count } == [Array(first.utf8), Array(second.utf8)].sorted { $0.count < $1.count })
    }

    /// A database written by v2 (one body row per receipt) keeps its texts after v3, and old and
    /// new receipts read side by side.
    @Test func version2BodiesStayReadableBesideSubmissionTexts() async throws {
        let directory = try TemporaryDirectory("v2")
        defer { directory.remove() }
        let path = directory.file("eisal.sqlite")
        let v2 = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(v2, upTo: "v2-receipt-bodies")
        try await v2.write { db in
            try db.execute(sql: "INSERT INTO submissions (uuid, taxpayer_rin, client_id, pos_serial, submitter_name, channel, received_at, payload_hash, status, receipt_count, invalid_count, signatures, first_receipt_id, last_receipt_id) VALUES ('S1', '100000001', 'c', 'P1', 'n', 'POS', 1, 'h', 'Valid', 2, 0, NULL, 1, 2)")
            for (id, uuid) in [(1, "old1"), (2, "old2")] {
                try db.execute(sql: """
                    INSERT INTO receipts (id, uuid, submission_uuid, long_id, receipt_number, position, seller_rin, seller_name, branch_code, pos_serial,
                        buyer_type, buyer_id, buyer_name, receipt_type, type_version, currency, total_amount, exchange_rate, payment_method,
                        date_time_issued, issued_at, received_at, previous_uuid, reference_uuid, status, errors, verdicts)
                    VALUES (?, ?, 'S1', 'L', ?, ?, '100000001', 'Seller', '0', 'P1', 'P', '', '', 's', '1.2', 'EGP', '1', '0', 'C',
                        '2026-11-23T10:00:00Z', 100, 200, '', '', 'Valid', '[]', 1)
                    """, arguments: [id, uuid, "R-\(id)", id - 1])
                try db.execute(sql: "INSERT INTO receipt_bodies (id, raw) VALUES (?, ?)", arguments: [id, Data("{\"old\":\(id)}".utf8)])
            }
        }
        try v2.close()

        let store = try SQLiteStore(path: path)
        #expect(try await store.receipts(ofSubmission: "S1", status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 10, withText: true).items.map(\.raw)
                == [Array(#"{"old":1}"#.utf8), Array(#"{"old":2}"#.utf8)])
        _ = try await store.commitSubmission(Self.submission("S2", count: 1), receipts: [Self.record("new1", submission: "S2", position: 0)])
        let both = try await store.receipts(uuids: ["old2", "new1"])
        #expect(Dictionary(uniqueKeysWithValues: both.map { ($0.uuid, $0.raw) }) == ["old2": Array(#"{"old":2}"#.utf8), "new1": Array(#"{"u":"new1"}"#.utf8)])
    }

    /// A database written by v5 (every notification's state stored in its row) reads the same
    /// states after v6 (a notification in a delivery takes the delivery's state), and its pending
    /// notifications are still batched.
    @Test func version5NotificationStatesReadTheSameAfterVersion6() async throws {
        let directory = try TemporaryDirectory("v5")
        defer { directory.remove() }
        let path = directory.file("eisal.sqlite")
        let v5 = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(v5, upTo: "v5-notifications")
        try await v5.write { db in
            try db.execute(sql: "INSERT INTO callbacks VALUES ('100000001', 'http://127.0.0.1:9', x'00', 'en', 1)")
            try db.execute(sql: "INSERT INTO deliveries VALUES ('D1', '100000001', 'notifications/receipts', x'7B7D', 1, 'delivered', 1, 0, 1000, 2000)")
            try db.execute(sql: "INSERT INTO deliveries VALUES ('D2', '100000001', 'notifications/receipts', x'7B7D', 1, 'open', 2, 5000, 3000, NULL)")
            for (id, state, delivery) in [(1, "delivered", "D1"), (2, "sending", "D2"), (3, "pending", nil), (4, "failed", nil)] as [(Int, String, String?)] {
                try db.execute(sql: "INSERT INTO notifications VALUES (?, '100000001', 'notifications/receipts', 'receipt-validated', ?, x'7B7D', ?, ?, ?)",
                               arguments: [id, "u\(id)", id * 1000, state, delivery])
            }
        }
        try v5.close()

        let store = try SQLiteStore(path: path)
        let listed = try await store.notifications(NotificationQuery(recipientRIN: "100000001", pageNo: 1, pageSize: 10)).items.map(\.notification)
        #expect(Dictionary(uniqueKeysWithValues: listed.map { ($0.documentUUID, $0.state) }) == ["u1": .delivered, "u2": .sending, "u3": .pending, "u4": .failed])
        var sending = NotificationQuery(recipientRIN: "100000001", pageNo: 1, pageSize: 10)
        sending.state = .sending
        #expect(try await store.notifications(sending).items.map(\.notification.documentUUID) == ["u2"])
        #expect(try await store.pendingNotifications(recipientRIN: "100000001", upTo: 10).count == 1)
        #expect(try await store.undeliveredNotificationCount() == 2)
        // The open delivery's outcome settles its notification without touching the row.
        try await store.recordAttempt(DeliveryAttempt(deliveryID: "D2", at: 6000, statusCode: 200, latencyMilliseconds: 1, error: nil), outcome: .delivered)
        #expect(try await store.deliveryLog(id: "D2")?.notifications.map(\.state) == [.delivered])
        let batch = try await store.openDelivery(recipientRIN: "100000001", maximum: 10, id: "D3", now: 7000) { _, notifications in Array(notifications.map(\.documentUUID).joined().utf8) }
        #expect(batch?.body == Array("u3".utf8) && batch?.count == 1)
    }

    /// A listing reads a submission text once, whole; single receipts read only their slice.
    /// Both give each receipt exactly its own bytes, at every position of a 40-receipt text.
    @Test func listingsAndSingleReceiptsReadTheSameTexts() async throws {
        let directory = try TemporaryDirectory("slices")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("eisal.sqlite"))
        var text = Array(#"{"receipts":["#.utf8)
        var records: [DocumentRecord] = []
        var expected: [String: [UInt8]] = [:]
        for n in 0 ..< 40 {
            if n > 0 { text += Array(", ".utf8) }
            let body = Array("{\"n\":\(n),\"pad\":\"\(String(repeating: "x", count: n * 97 % 5_000))\"}".utf8)
            var record = Self.record("r\(n)", submission: "S1", position: n)
            record.raw = []
            record.textRange = text.count ..< text.count + body.count
            text += body
            records.append(record)
            expected["r\(n)"] = body
        }
        text += Array("]}".utf8)
        #expect(SQLiteStore.wholeTextThreshold <= records.count)
        #expect(try await store.commitSubmission(Self.submission("S1", count: 40), text: text, documents: records, job: .validation).duplicates.isEmpty)
        let listed = try await store.receipts(ofSubmission: "S1", status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 100, withText: true).items
        #expect(listed.count == 40)
        for record in listed { #expect(record.raw == expected[record.uuid]) }
        for n in [0, 1, 17, 39] { #expect(try await store.receipt(uuid: "r\(n)")?.raw == expected["r\(n)"]) }
        let some = try await store.receipts(uuids: ["r3", "r38"])
        #expect(some.count == 2 && some.allSatisfy { $0.raw == expected[$0.uuid] })
    }
}
