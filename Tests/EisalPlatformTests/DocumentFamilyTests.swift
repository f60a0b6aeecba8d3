import Crypto
import EisalCore
@testable import EisalPlatform
import EisalStore
import EisalStoreSQLite
import EisalTestSupport
import Foundation
import Logging
import Testing

/// A family that is not receipts, to show the seam: `{"notes": [{"uuid", "number", "issuer", "amount"}]}`.
/// Its UUID is SHA-256 of `number|issuer|amount` as written; a note is valid when its amount is not negative.
struct NoteRules: DocumentRules {
    static let notes = DocumentFamily(name: "note", submissionKey: "notes", numberKey: "noteNumber", validationJob: "validate-note",
                                      uuidPath: "uuid", numberPath: "number", issuerPath: "issuer")
    var family: DocumentFamily { Self.notes }

    func structureProblems(_ document: JSONNode) -> [ETAError] {
        var problems: [ETAError] = []
        if document["number"]?.string == nil { problems.append(ETAError(code: "Note.Structure", message: "number is a string", propertyPath: "number")) }
        if document["issuer"]?.string?.count != 9 { problems.append(ETAError(code: "Note.Structure", message: "issuer is a RIN", propertyPath: "issuer")) }
        if document["amount"]?.numberLexeme == nil { problems.append(ETAError(code: "Note.Structure", message: "amount is a number", propertyPath: "amount")) }
        return problems
    }

    func facts(_ document: JSONNode) -> DocumentFacts {
        var facts = DocumentFacts()
        facts.uuid = document["uuid"]?.string ?? ""
        facts.receiptNumber = document["number"]?.string ?? ""
        facts.sellerRIN = document["issuer"]?.string ?? ""
        facts.totalAmount = document["amount"]?.numberLexeme ?? ""
        facts.receiptType = "note"
        return facts
    }

    func uuid(of document: JSONNode) -> String {
        let f = facts(document)
        return Hex.lowercase(SHA256.hash(data: Array("\(f.receiptNumber)|\(f.sellerRIN)|\(f.totalAmount)".utf8)))
    }

    func validate(_ document: JSONNode, context: ValidationContext) -> [ETAError] {
        (ETADecimal(lexeme: facts(document).totalAmount)?.value ?? -1) < 0 ? [ETAError(code: "Note.Amount", message: "The amount is negative.", propertyPath: "amount")] : []
    }
}

/// The notes' platform part: nothing beyond the core rules.
struct NoteFamily: PlatformFamily {
    let rules = NoteRules()
    func admitCaller(_ principal: Principal) async throws {}
    func issuer(of document: JSONNode) -> String? { document["issuer"]?.string }
    func admit(_ documents: [DocumentFacts], principal: Principal) async throws {}
    func rejection(of facts: DocumentFacts, principal: Principal, admission: Void) -> DocumentRejection? { nil }
    func uuidCheck(for submission: JSONNode) {}
    func explainMismatch(_ document: JSONNode, claimed: String, computed: String, check: inout Void) -> [ETAError]? { nil }
    func judge(_ documents: [DocumentRecord], nodes: [JSONNode]?, job: ClaimedJob) async throws -> Judgement {
        .verdicts(try documents.enumerated().map { k, d in
            rules.validate(try nodes?[k] ?? JSONParser().parse(d.raw).root, context: ValidationContext(now: UTCDateTime(secondsSinceEpoch: 0)))
        })
    }
    /// A new event type is these few lines: a message for the issuer of every judged note.
    func notifications(for documents: [DocumentRecord], errors: [[ETAError]], at milliseconds: Int64, recipients: Set<String>) -> [NotificationRecord] {
        zip(documents, errors).filter { d, _ in recipients.contains(d.sellerRIN) }.map { d, e in
            let message = NotificationMessage(type: "note-validated", uuid: d.uuid, submissionUUID: d.submissionUUID, longId: d.longId, receiptNumber: d.receiptNumber,
                                              status: e.isEmpty ? "Valid" : "Invalid")
            return NotificationRecord(recipientRIN: d.sellerRIN, path: .documents, type: "note-validated", documentUUID: d.uuid, message: message.jsonBytes(), createdAt: milliseconds)
        }
    }
}

@Suite("Documents as a family (a test family through the shared intake, processing and store)")
struct DocumentFamilyTests {
    static func note(_ number: String, issuer: String = "100000001", amount: String, uuid: String? = nil) -> String {
        let computed = NoteRules().uuid(of: try! JSONParser().parse(#"{"number":"\#(number)","issuer":"\#(issuer)","amount":\#(amount)}"#).root)
        return #"{"uuid":"\#(uuid ?? computed)","number":"\#(number)","issuer":"\#(issuer)","amount":\#(amount)}"#
    }

    @Test func aSecondFamilyGoesThroughTheSharedIntakeProcessingAndStore() async throws {
        let directory = try TemporaryDirectory("family")
        defer { directory.remove() }
        let store = try SQLiteStore(path: directory.file("eisal.sqlite"))
        var configuration = PlatformConfiguration(store: .sqlite(path: directory.file("eisal.sqlite")))
        configuration.clock = .system
        let handoff = SubmissionHandoff(capacityBytes: 1 << 20), signal = JobSignal()
        let intake = IntakeService(store: store, family: NoteFamily(), configuration: configuration, handoff: handoff, signal: signal)
        let principal = Principal(sub: "client", tin: "100000001", pos: nil, ch: "ERP", rep: [], TaxProfTags: [], scope: "InvoicingAPI", iat: 0, exp: .max, jti: "j")

        // Intake: parse once, structure, UUID, one transaction, the 202 with the family's number key.
        let body = Array(#"{"notes":[\#(Self.note("N1", amount: "5.50")),\#(Self.note("N2", amount: "-1")),\#(Self.note("N3", amount: "2", uuid: "bad")),{"number":7}]}"#.utf8)
        let result = try await intake.submit(body: body, principal: principal)
        let submission = try #require(result.submissionUUID)
        #expect(result.accepted.map(\.receiptNumber) == ["N1", "N2"])
        #expect(result.rejected.map(\.receiptNumber) == ["N3", ""])
        #expect(result.rejected[0].error.propertyPath == "uuid" && result.rejected[0].error.message.hasPrefix("The note UUID does not match"))
        let response = String(decoding: try SubmissionRoutes<SQLiteStore, NoteFamily>.responseBody(result, family: NoteRules.notes, submissionIdAlias: false), as: UTF8.self)
        #expect(response.contains(#""noteNumber":"N1""#) && !response.contains("receiptNumber"))
        #expect(try await store.submission(uuid: submission)?.family == "note")

        // The shared intake rules hold for the family too: duplicate payload, issuer, root key.
        await #expect(throws: PlatformError.self) { _ = try await intake.submit(body: body, principal: principal) }
        let foreign = Array(#"{"notes":[\#(Self.note("N9", issuer: "200000002", amount: "1"))]}"#.utf8)
        do {
            _ = try await intake.submit(body: foreign, principal: principal)
            Issue.record("another issuer's note was accepted")
        } catch let error as PlatformError {
            #expect(error.status == .forbidden && error.error.details?.first?.propertyPath == "notes[0].issuer")
        }
        await #expect(throws: PlatformError.self) { _ = try await intake.submit(body: Array(#"{"receipts":[]}"#.utf8), principal: principal) }

        // Processing: the shared worker and handler, the family's verdicts and notifications, one commit.
        try await store.upsertCallback(CallbackRecord(taxpayerRIN: "100000001", baseURL: "http://127.0.0.1:9", sealedAPIKey: [1], language: "en", registeredAt: 0))
        let worker = LeasedWorker(
            queue: store, handler: DocumentValidation(store: store, family: NoteFamily(), emitPartiallyValid: false, clock: .system, logger: Logger(label: "test"), handoff: handoff),
            configuration: .init(kind: JobKind(family: NoteRules.notes), workers: 1, leaseSeconds: 10, idlePoll: .milliseconds(10)),
            node: try NodeIdentity.acquire(configured: "test-node", directory: directory.path), signal: signal, clock: .system, logger: Logger(label: "test")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            let deadline = ContinuousClock.now + .seconds(30)
            while try await store.submission(uuid: submission)?.status == .inProgress, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            group.cancelAll()
        }
        #expect(try await store.submission(uuid: submission)?.status == .invalid)
        let documents = try await store.receipts(ofSubmission: submission, status: nil, receiptNumber: nil, uuid: nil, pageNo: 1, pageSize: 10, withText: true).items
        #expect(documents.map(\.status) == [.valid, .invalid])
        #expect(documents.allSatisfy { $0.family == "note" })
        #expect(documents[1].errors.map(\.code) == ["Note.Amount"])
        #expect(documents[0].raw == Array(Self.note("N1", amount: "5.50").utf8), "stored as received")
        // The family's notifications were queued with the verdicts, for the issuer's callback.
        #expect(try await store.pendingNotifications(recipientRIN: "100000001", upTo: 1000).count == 2)
        let queued = try await store.notifications(NotificationQuery(recipientRIN: "100000001", pageNo: 1, pageSize: 10)).items.map(\.notification)
        #expect(Set(queued.map(\.type)) == ["note-validated"] && Set(queued.map(\.path)) == [.documents])
        // Receipt listings do not show another family's documents.
        #expect(try await store.search(ReceiptQuery(taxpayerRIN: "100000001")).items.isEmpty)
    }
}
