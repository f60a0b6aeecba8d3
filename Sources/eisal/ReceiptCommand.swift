import ArgumentParser
import EisalCore
import EisalKit
import Foundation

/// `eisal receipt …`: offline tools on receipt JSON.
struct ReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Make, hash and validate receipts offline.",
        subcommands: [Example.self, UUID.self, Canonical.self, Validate.self, Explain.self, Mistakes.self, Rules.self]
    )

    struct Example: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a valid receipt (issued now) with its UUID filled in.")

        @Option(help: "sale, return or return-without-reference.") var type: ReceiptExamples.Kind = .sale
        @Flag(help: "Wrap it in a submission body {\"receipts\": [...]}.") var submission = false
        @Option(help: "Seller RIN.") var rin = "100000001"
        @Option(help: "POS serial (seller.deviceSerialNumber).") var pos = "DEMO-POS-1"
        @Option(help: "Receipt number.") var number = "R-0001"

        func run() throws {
            let now = UTCDateTime(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) - 60)
            let built = try ReceiptExamples.receipt(type, issued: now, number: number, seller: ReceiptExamples.demoSeller(rin: rin, deviceSerialNumber: pos))
            var value = try JSONValueEncoder().encode(built.receipt)
            if submission { value = .object([("receipts", .array([value]))]) }
            print(JSONWriter(indent: 2).string(value))
        }
    }

    struct UUID: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the UUID of each receipt in FILE (a receipt or a submission).")
        @Argument(help: "A JSON file, or - for standard input.") var file: String

        func run() throws {
            for receipt in try ReceiptInput.read(file).receipts {
                print(ReceiptUUID.compute(receipt))
            }
        }
    }

    struct Canonical: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the canonical text that is hashed into each receipt's UUID.")
        @Argument(help: "A JSON file, or - for standard input.") var file: String

        func run() throws {
            for receipt in try ReceiptInput.read(file).receipts {
                print(ReceiptUUID.canonicalText(receipt))
            }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate each receipt in FILE; print `valid` or every error, exit 1 when any is invalid.")
        @Argument(help: "A JSON file, or - for standard input.") var file: String
        @Option(help: "Validate as of this UTC time (default: now), e.g. 2025-02-02T14:00:00Z.") var now: String?
        @Option(help: "Submission window in hours; 0 turns the age check off.") var windowHours = 24
        @Option(help: "Rounding tolerance per equation.") var tolerance = "0.5"

        func run() throws {
            let context = try ValidationContext.offline(now: now, windowSeconds: Int64(windowHours) * 3600, tolerance: tolerance)
            let input = try ReceiptInput.read(file)
            let validator = ReceiptValidator()
            var allValid = true
            for (i, receipt) in input.receipts.enumerated() {
                let prefix = input.isSubmission ? "receipts[\(i)]: " : ""
                let report = validator.validate(receipt, context: context)
                let uuid = ReceiptUUID.compute(receipt)
                let claimed = receipt["header"]?["uuid"]?.string ?? ""
                var errors = report.errors
                if report.isValid || errors.allSatisfy({ $0.propertyPath != "header.uuid" }), !claimed.isEmpty, !ReceiptUUID.matches(claimed: claimed, computed: uuid) {
                    errors.append(ETAError(code: "UUID.Mismatch", message: "header.uuid \(claimed) does not match the computed UUID \(uuid).", target: "uuid", propertyPath: "header.uuid"))
                }
                if errors.isEmpty {
                    print("\(prefix)valid")
                } else {
                    allValid = false
                    for e in errors { print("\(prefix)\(e.propertyPath ?? ""): \(e.message) [\(e.code ?? "")]") }
                }
            }
            if !allValid { throw ExitCode(1) }
        }
    }
}

extension ReceiptExamples.Kind: ExpressibleByArgument {}

extension ValidationContext {
    /// The context of an offline `validate` command: `--now` (default: now), a submission window
    /// in seconds (0: off) and `--tolerance`.
    static func offline(now: String?, windowSeconds: Int64, tolerance: String) throws -> ValidationContext {
        var context = ValidationContext.current()
        if let now {
            guard let at = UTCDateTime(now, allowMissingSeconds: true) else { throw ValidationError("--now must look like 2025-02-02T14:00:00Z") }
            context.now = at
        }
        context.submissionWindow = windowSeconds > 0 ? windowSeconds : nil
        guard let tol = Decimal(string: tolerance) else { throw ValidationError("--tolerance must be a decimal") }
        context.roundingTolerance = tol
        return context
    }
}

extension ReceiptCommand {
    struct Rules: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the validation rule catalogue (Markdown).")
        func run() { print(ValidationRule.catalogueMarkdown, terminator: "") }
    }
}

extension ReceiptCommand {
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain why each receipt's UUID is wrong: which known serialization mistake reproduces it, where the texts differ, and the fix. Exit 1 when any UUID is wrong.",
            discussion: "For a submission, --json prints {\"receipts\": [...]} with one report per receipt; for a single receipt, one report."
        )
        @Argument(help: "A JSON file (a receipt or a submission), or - for standard input.") var file: String
        @Option(help: "The UUID the client computed (default: each receipt's header.uuid).") var claimed: String?
        @Flag(help: "Print the report as JSON.") var json = false

        func run() throws {
            let input = try ReceiptInput.read(file)
            var explainer = UUIDExplainer(submission: input.isSubmission ? input.document.root : nil)
            var reports: [UUIDExplanation] = []
            for receipt in input.receipts {
                let claim = claimed ?? receipt["header"]?["uuid"]?.string ?? ""
                reports.append(explainer.explain(receipt, claimed: claim))
            }
            if json {
                let values = reports.map(\.json)
                let value: JSONValue = input.isSubmission ? .object([("receipts", .array(values))]) : values.first ?? .object([])
                print(JSONWriter(indent: 2).string(value))
            } else {
                for (i, report) in reports.enumerated() {
                    if input.isSubmission { print("receipts[\(i)]:") }
                    print(report.plainText)
                }
            }
            if !reports.allSatisfy(\.accepted) { throw ExitCode(1) }
        }
    }

    struct Mistakes: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the catalogue of known UUID mistakes (Markdown; docs/why-was-my-receipt-rejected.md).")
        func run() { print(UUIDMistake.catalogueMarkdown, terminator: "") }
    }
}

/// Receipt JSON read from a file or standard input: one receipt, or a submission's receipts.
struct ReceiptInput {
    var document: JSONDocument
    var receipts: [JSONNode]
    var isSubmission: Bool

    static func read(_ file: String) throws -> ReceiptInput {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            data = d
        }
        let document: JSONDocument
        do {
            document = try JSONParser().parse([UInt8](data))
        } catch {
            throw ValidationError("not valid JSON: \(error.message)")
        }
        if let receipts = document.root["receipts"], receipts.kind == .array {
            return ReceiptInput(document: document, receipts: receipts.elements, isSubmission: true)
        }
        return ReceiptInput(document: document, receipts: [document.root], isSubmission: false)
    }
}
