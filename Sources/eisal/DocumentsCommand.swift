import ArgumentParser
import EisalCore
import EisalKit
import Foundation

/// `eisal documents …`: the taxpayer's document calls through EisalKit, against Eisal or the
/// real system (issue 17, item 5).
struct DocumentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "documents",
        abstract: "Submit, follow, read, search, cancel and reject invoice documents through the API (EisalKit).",
        subcommands: [Submit.self, Status.self, Get.self, Search.self, Cancel.self, Reject.self, DeclineCancellation.self, DeclineRejection.self]
    )

    /// Where and as whom (shared with `eisal submit`, `status`, `receipts`, `token`).
    typealias Connection = ClientOptions

    static func line(_ s: DocumentSummary) -> String {
        "\(s.uuid)  \(s.internalId ?? "-")  \(s.typeName ?? "")  \(s.status)  issuer \(s.issuerId ?? "-") → receiver \(s.receiverId ?? "-")  total \(s.total?.lexeme ?? "-")"
            + (s.documentStatusReason.map { "  (\($0))" } ?? "")
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Submit the documents in FILE (a document or {\"documents\": [...]}), sent byte for byte; --wait for the verdicts.")
        @OptionGroup var connection: Connection
        @Argument(help: "A JSON file, or - for standard input.") var file: String
        @Flag(help: "Wait for the submission's verdicts (polling sized to the submission).") var wait = false

        func run() async throws {
            let texts = try DocumentInput.read(file).documents.map { String(decoding: $0.rawBytes, as: UTF8.self) }
            try await connection.with { client in
                let response = try await client.submitDocuments(texts)
                print("submission \(response.id ?? "-"): \(response.acceptedDocuments.count) accepted, \(response.rejectedDocuments.count) rejected")
                for a in response.acceptedDocuments { print("accepted \(a.internalId ?? "-") \(a.uuid)") }
                for r in response.rejectedDocuments {
                    print("rejected \(r.internalId ?? "-"): \(r.error.message)")
                    for d in r.error.details ?? [] { print("  \(d.propertyPath ?? d.target ?? ""): \(d.message) [\(d.code ?? "")]") }
                }
                if wait, let id = response.id, !response.acceptedDocuments.isEmpty {
                    let details = try await client.waitForDocumentSubmission(id, documents: response.acceptedDocuments.count)
                    print("overallStatus \(details.overallStatus)")
                    for s in details.documentSummary { print(DocumentsCommand.line(s)) }
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Get Submission: its overall status and each document's.")
        @OptionGroup var connection: Connection
        @Argument(help: "The submission id.") var submission: String

        func run() async throws {
            try await connection.with { client in
                let details = try await client.documentSubmission(submission)
                print("overallStatus \(details.overallStatus) (\(details.documentCount ?? details.documentSummary.count) documents)")
                for s in details.documentSummary { print(DocumentsCommand.line(s)) }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Get Document (raw) or, with --details, Get Document Details; prints the JSON body.")
        @OptionGroup var connection: Connection
        @Argument(help: "The document UUID.") var uuid: String
        @Flag(help: "The validation steps too.") var details = false

        func run() async throws {
            try await connection.with { client in print(try await client.document(uuid, details: details).json) }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search Documents received between --from and --to (at most 30 days), every page.")
        @OptionGroup var connection: Connection
        @Option(help: "Submission date from (UTC), e.g. 2026-11-01T00:00:00Z.") var from: String
        @Option(help: "Submission date to (UTC).") var to: String
        @Option(help: "Sent or Received.") var direction: String?
        @Option(help: "Valid, Invalid, Rejected, Cancelled, Submitted.") var status: String?

        func run() async throws {
            guard let a = UTCDateTime(from, allowMissingSeconds: true), let b = UTCDateTime(to, allowMissingSeconds: true) else {
                throw ValidationError("--from and --to must look like 2026-11-01T00:00:00Z")
            }
            try await connection.with { client in
                let rows = try await client.searchAllDocuments(DocumentSearchFilters(submissionDateFrom: a, submissionDateTo: b, direction: direction, status: status))
                for s in rows { print(DocumentsCommand.line(s)) }
                print("\(rows.count) documents")
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a document you issued (final at its delayed date unless the receiver declines).")
        @OptionGroup var connection: Connection
        @Argument(help: "The document UUID.") var uuid: String
        @Option(help: "Why, e.g. \"Wrong buyer details\".") var reason: String

        func run() async throws { try await connection.with { try await $0.cancelDocument(uuid, reason: reason); print("cancellation requested") } }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a document you received (the issuer may decline).")
        @OptionGroup var connection: Connection
        @Argument(help: "The document UUID.") var uuid: String
        @Option(help: "Why, e.g. \"Received incorrect invoice from the seller\".") var reason: String

        func run() async throws { try await connection.with { try await $0.rejectDocument(uuid, reason: reason); print("rejected") } }
    }

    struct DeclineCancellation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "decline-cancellation", abstract: "As the receiver, decline the issuer's cancellation.")
        @OptionGroup var connection: Connection
        @Argument(help: "The document UUID.") var uuid: String

        func run() async throws { try await connection.with { try await $0.declineCancellation(uuid); print("cancellation declined") } }
    }

    struct DeclineRejection: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "decline-rejection", abstract: "As the issuer, decline the receiver's rejection.")
        @OptionGroup var connection: Connection
        @Argument(help: "The document UUID.") var uuid: String

        func run() async throws { try await connection.with { try await $0.declineRejection(uuid); print("rejection declined") } }
    }
}
