import ArgumentParser
import EisalCore
import EisalKit
import Foundation

/// `eisal document …`: offline tools on invoice document JSON (issue 17, item 5).
struct DocumentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "document",
        abstract: "Make, hash, validate, sign and verify invoice documents (i, c, d, ei, ec, ed) offline.",
        subcommands: [Example.self, UUID.self, Canonical.self, Validate.self, Explain.self, Rules.self, Sign.self, Verify.self]
    )

    struct Example: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a valid document (issued a minute ago).")

        @Option(help: "i, c, d, ei, ec or ed.") var type: InvoiceKind = .invoice
        @Option(help: "1.0 or 0.9.") var version = "1.0"
        @Flag(help: "Wrap it in a submission body {\"documents\": [...]}.") var submission = false
        @Option(help: "Issuer RIN.") var issuer = "100000001"
        @Option(help: "Receiver RIN.") var receiver = "100000002"
        @Option(help: "The issuer's number (internalID).") var number = "INV-0001"
        @Option(help: "Credit/debit notes: the UUID of a document it corrects (repeat for several).") var reference: [String] = []

        func run() throws {
            guard !type.needsReferences || !reference.isEmpty else { throw ValidationError("a \(type.name.lowercased()) needs --reference <uuid of the invoice it corrects>") }
            let now = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60)
            let text = DocumentExamples.text(type, version: version, parties: .init(issuerRIN: issuer, receiverRIN: receiver), internalID: number, issued: now, references: reference)
            // Printed as it is hashed: one line, amounts with their decimals.
            print(submission ? DocumentExamples.submission([text]) : text)
        }
    }

    struct UUID: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the UUID (SHA-256 of the canonical text without signatures) of each document in FILE.")
        @Argument(help: "A JSON file (a document or a submission), or - for standard input.") var file: String

        func run() throws {
            for document in try DocumentInput.read(file).documents { print(DocumentUUID.compute(document)) }
        }
    }

    struct Canonical: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the canonical text each document's UUID and signature are computed over.")
        @Argument(help: "A JSON file (a document or a submission), or - for standard input.") var file: String

        func run() throws {
            for document in try DocumentInput.read(file).documents { print(DocumentUUID.canonicalText(document)) }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate each document in FILE; print `valid` or every error, exit 1 when any is invalid. References are not resolved offline.")
        @Argument(help: "A JSON file (a document or a submission), or - for standard input.") var file: String
        @Option(help: "Validate as of this UTC time (default: now), e.g. 2025-02-02T14:00:00Z.") var now: String?
        @Option(help: "Submission window in days; 0 turns the age check off.") var windowDays = 0
        @Option(help: "Rounding tolerance per equation.") var tolerance = "0.5"

        func run() throws {
            let context = try ValidationContext.offline(now: now, windowSeconds: Int64(windowDays) * 86_400, tolerance: tolerance)
            let input = try DocumentInput.read(file)
            var allValid = true
            for (i, document) in input.documents.enumerated() {
                let prefix = input.isSubmission ? "documents[\(i)]: " : ""
                let errors = InvoiceValidator().validate(document, context: context).errors
                if errors.isEmpty {
                    print("\(prefix)valid \(DocumentUUID.compute(document))")
                } else {
                    allValid = false
                    for e in errors { print("\(prefix)\(e.propertyPath ?? ""): \(e.message) [\(e.code ?? "")]") }
                }
            }
            if !allValid { throw ExitCode(1) }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain why a digest your signer computed differs from the document's: which known serialization mistake reproduces it, where the texts differ, and the fix. Exit 1 when it differs."
        )
        @Argument(help: "A JSON file (one document), or - for standard input.") var file: String
        @Option(help: "The SHA-256 (hex) your code computed for the document.") var digest: String
        @Flag(help: "Print the report as JSON.") var json = false

        func run() throws {
            guard let document = try DocumentInput.read(file).documents.first else { throw ValidationError("no document in \(file)") }
            let report = UUIDExplainer.explainDocument(document, claimed: digest)
            print(json ? JSONWriter(indent: 2).string(report.json) : report.plainText)
            if !report.accepted { throw ExitCode(1) }
        }
    }

    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the document rule catalogue (Markdown; docs/document-rules.md).")
        func run() { print(ValidationRule.Invoice.catalogueMarkdown, terminator: "") }
    }
}

extension InvoiceKind: ExpressibleByArgument {}

/// Document JSON from a file or standard input: one document, or a submission's documents.
struct DocumentInput {
    var document: JSONDocument
    var documents: [JSONNode]
    var isSubmission: Bool

    static func read(_ file: String) throws -> DocumentInput {
        let input = try ReceiptInput.read(file)
        if let documents = input.document.root["documents"], documents.kind == .array {
            return DocumentInput(document: input.document, documents: documents.elements, isSubmission: true)
        }
        return DocumentInput(document: input.document, documents: [input.document.root], isSubmission: false)
    }
}
