import EisalCore
import EisalStore
import EisalStorePostgres
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import Testing

/// A backend the conformance suite runs every contract against. Each runs twice: with keys in
/// commit order, and with keys given in descending order, which proves that no contract depends on
/// the order of keys (as on a database with concurrent writers, where keys are not in commit order).
/// PostgreSQL runs on a real server (a throwaway cluster the tests start, see `TestPostgres`), a
/// fresh database per test; EISAL_SKIP_POSTGRES=1 leaves it out.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case sqliteDescendingKeys
    case postgres
    case postgresDescendingKeys

    /// The backends to run (PostgreSQL unless EISAL_SKIP_POSTGRES=1).
    static var all: [Backend] { TestPostgres.isSkipped ? [.sqlite, .sqliteDescendingKeys] : allCases }

    var testDescription: String { rawValue }

    /// Runs `body` on a fresh, empty store of this backend.
    func withStore(_ body: (any PlatformStore) async throws -> Void) async throws {
        switch self {
        case .sqlite, .sqliteDescendingKeys:
            let directory = try TemporaryDirectory("store-\(rawValue)")
            defer { directory.remove() }
            try await body(try SQLiteStore(path: directory.file("eisal.sqlite"), keyOrder: self == .sqlite ? .ascending : .descending))
        case .postgres, .postgresDescendingKeys:
            let store = try await Self.postgresStore(keyOrder: self == .postgres ? .ascending : .descending)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.run() }
                defer { group.cancelAll() }
                try await store.migrate()
                try await body(store)
            }
        }
    }

    /// A store on a fresh database of the test server (not yet run or migrated).
    static func postgresStore(keyOrder: PostgresStore.KeyOrder = .ascending, poolSize: Int = 4) async throws -> PostgresStore {
        let database = try await TestPostgres.freshDatabase("store")
        var settings = try PostgresSettings(url: database.url)
        settings.poolSize = poolSize
        return try PostgresStore(settings, keyOrder: keyOrder)
    }
}

/// Records the suite commits: receipts of seller 100000001, POS P1, unless told otherwise.
enum Fixture {
    static let seller = "100000001"

    static func document(_ uuid: String, in submission: String, at position: Int = 0, seller: String = seller, pos: String = "P1", branch: String = "0",
                         number: String? = nil, type: String = "s", previous: String = "", reference: String = "",
                         buyer: (type: String, id: String, name: String) = ("P", "", ""), issuedAt: Int64 = 1_000, receivedAt: Int64 = 2_000,
                         total: String = "10.50", payment: String = "C", family: String = DocumentFamily.receipt.name) -> DocumentRecord {
        DocumentRecord(uuid: uuid, submissionUUID: submission, longId: "L-" + uuid, receiptNumber: number ?? "N-" + uuid, position: position, sellerRIN: seller,
                       sellerName: "Seller \(seller)", branchCode: branch, posSerial: pos, buyerType: buyer.type, buyerId: buyer.id, buyerName: buyer.name,
                       receiptType: type, typeVersion: "1.2", currency: "EGP", totalAmount: total, exchangeRate: "0", paymentMethod: payment,
                       dateTimeIssued: UTCDateTime(secondsSinceEpoch: issuedAt).iso8601, issuedAt: issuedAt, receivedAt: receivedAt,
                       previousUUID: previous, referenceUUID: reference, raw: Array(#"{"uuid":"\#(uuid)"}"#.utf8), family: family)
    }

    static func submission(_ uuid: String, taxpayer: String = seller, receivedAt: Int64 = 2_000, payloadHash: String? = nil, family: String = DocumentFamily.receipt.name) -> SubmissionRecord {
        SubmissionRecord(uuid: uuid, family: family, taxpayerRIN: taxpayer, clientID: "client", posSerial: "P1", submitterName: "client", channel: "POS",
                         receivedAt: receivedAt, payloadHash: payloadHash ?? "hash-" + uuid, receiptCount: 0)
    }

    /// Commits `documents` as submission `uuid` (their texts joined), with a validation job.
    @discardableResult
    static func commit(_ store: any PlatformStore, _ uuid: String, _ documents: [DocumentRecord], taxpayer: String = seller, receivedAt: Int64 = 2_000,
                       job: JobKind = .validation) async throws -> CommittedSubmission {
        let placed = documents.enumerated().map { k, d in
            var d = d
            d.submissionUUID = uuid
            d.position = k
            return d
        }
        return try await store.commitSubmission(submission(uuid, taxpayer: taxpayer, receivedAt: receivedAt), receipts: placed, job: job)
    }

    static let owner = LeaseOwner(node: "node-a", worker: 0)
    static let otherOwner = LeaseOwner(node: "node-b", worker: 0)

    /// Claims the next validation job and completes it with `statuses` by UUID (Valid for the rest).
    static func judge(_ store: any PlatformStore, _ statuses: [String: DocumentStatus] = [:], now: Int64 = 3_000) async throws {
        let job = try #require(try await store.claimJob(kind: .validation, owner: owner, now: now, leaseSeconds: 60))
        let documents = try await store.receipts(ofSubmission: job.subject, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 1000, withText: false).items
        let verdicts = documents.map { d in
            let status = statuses[d.uuid] ?? .valid
            return DocumentVerdict(uuid: d.uuid, status: status, errors: status == .invalid ? [ETAError(code: "Rule", message: "broken", propertyPath: "header")] : [])
        }
        let invalid = verdicts.filter { $0.status == .invalid }.count
        #expect(try await store.completeJob(job, verdicts: verdicts, status: invalid == 0 ? .valid : .invalid, invalidCount: invalid, notifications: [], now: now))
    }
}
