import ArgumentParser
import EisalCAdES
import EisalCore
import EisalKit
import EisalStore
import Foundation
import X509

extension DocumentCommand {
    /// `eisal document sign`: the issuer's CAdES-BES for each document (issue 18).
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign each document in FILE (a document or a submission) with a seal certificate; print the signed JSON.",
            discussion: "The signature is CAdES-BES over SHA-256 of the document's canonical text without signatures, as ETA's reference signer makes it. Key: --cert and --key (PEM), or --pkcs12 with --passphrase. The sandbox issues a seal per demo taxpayer in {data}/signing/ (printed at start-up), and `eisal admin issue-certificate --rin R` issues more. Hardware tokens (PKCS#11) are not supported: see docs/signatures.md for the seam."
        )
        @Argument(help: "A JSON file (a document or a submission), or - for standard input.") var file: String
        @Option(help: "The seal certificate, PEM (further certificates in the file are included as its chain).") var cert: String?
        @Option(help: "The private key, PEM (unencrypted PKCS#8, SEC1 or PKCS#1).") var key: String?
        @Option(help: "A PKCS#12 file holding certificate and key, instead of --cert/--key.") var pkcs12: String?
        @Option(help: "The PKCS#12 passphrase.") var passphrase = "eisal"
        @Flag(help: "RSA keys: RSASSA-PSS instead of PKCS#1 v1.5.") var pss = false
        @Option(help: "Write the signed JSON here instead of standard output.") var output: String?

        func run() throws {
            let signer: DocumentSigner
            switch (cert, key, pkcs12) {
            case let (cert?, key?, nil):
                signer = try DocumentSigner(certificatePEM: try String(contentsOfFile: cert, encoding: .utf8), keyPEM: try String(contentsOfFile: key, encoding: .utf8), pss: pss)
            case let (nil, nil, p12?):
                signer = try DocumentSigner(pkcs12: Array(try Data(contentsOf: URL(fileURLWithPath: p12))), passphrase: passphrase, pss: pss)
            default:
                throw ValidationError("give --cert and --key, or --pkcs12")
            }
            let input = try DocumentInput.read(file)
            let signed = input.isSubmission ? try signer.sign(submission: input.document.bytes) : try signer.sign(document: input.document.bytes)
            if let output {
                try Data(signed).write(to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(Data(signed + [0x0A]))
            }
        }
    }

    /// `eisal document verify`: every check of every signature, as the platform makes them.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the signatures of each document in FILE and print each check's outcome; exit 1 when any fails.",
            discussion: "Anchors: --ca (repeatable; PEM files or folders). Without --ca, the sandbox signing CA of the data folder beside --database ({data}/signing/ca.pem) when it exists. Certificates are checked at each document's dateTimeIssued, and the issuer's certificate must name issuer.id."
        )
        @Argument(help: "A JSON file (a document or a submission), or - for standard input.") var file: String
        @Option(help: "A trusted CA certificate: a PEM file or a folder of them (repeat for more).") var ca: [String] = []
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            var anchors = ca
            if anchors.isEmpty {
                let sandbox = try database.store().dataDirectory + "/signing/ca.pem"
                if FileManager.default.fileExists(atPath: sandbox) { anchors = [sandbox] }
            }
            print("trust anchors: \(anchors.isEmpty ? "none (every chain is untrusted)" : anchors.joined(separator: ", "))")
            let signatures = DocumentSignatures(verifier: CAdESVerifier(trust: try TrustStore(pemPaths: anchors)))
            let input = try DocumentInput.read(file)
            var allValid = true
            for (i, document) in input.documents.enumerated() {
                let prefix = input.isSubmission ? "documents[\(i)]" : "document"
                print("\(prefix) \(DocumentUUID.compute(document)) (version \(document["documentTypeVersion"]?.string ?? "?"), issuer \(document["issuer"]?["id"]?.string ?? "?"))")
                for outcome in signatures.outcomes(for: document, fallbackDate: Date()) {
                    print("  signatures[\(outcome.index)] type \(outcome.signatureType):")
                    guard let report = outcome.report else { print("    ✗ no value"); continue }
                    for check in report.checks {
                        switch check.outcome {
                        case .passed(let detail): print("    ✓ \(check.name): \(detail)")
                        case .failed(let error): print("    ✗ \(check.name): \(error.message) [\(DocumentSignatures.code(error.kind))]")
                        case .skipped(let why): print("    - \(check.name): skipped (\(why))")
                        }
                    }
                }
                let errors = signatures.errors(for: document, fallbackDate: Date())
                if errors.isEmpty {
                    print(DocumentSignatures.isRequired(for: document) ? "  valid" : "  valid (version \(document["documentTypeVersion"]?.string ?? "?") needs no signature)")
                } else {
                    allValid = false
                    for e in errors { print("  \(e.propertyPath ?? ""): \(e.message) [\(e.code ?? "")]") }
                }
            }
            if !allValid { throw ExitCode(1) }
        }
    }
}
