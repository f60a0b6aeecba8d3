// The signatures of one ETA invoice document (spec/documents-api.md, serialization.md): version
// 1.0 carries the issuer's CAdES-BES (`signatureType` I) and may carry a service provider's
// (`S`); version 0.9 is not checked (ETA: "signature validation disabled"). Each signature is
// verified over the SHA-256 of the document's canonical text without `signatures` (the
// document's UUID), at its `dateTimeIssued`; the issuer's certificate must name `issuer.id`.
// Used unchanged by the platform's processing and by `eisal document verify`.
//
// One error per failure kind, codes `Signature.*` (docs/platform.md "Document signatures");
// a digest mismatch is explained by the UUID explainer: which known serialization mistake
// reproduces the digest the signer signed.

import EisalCore
import Foundation

/// Verifies the signatures of invoice documents.
public struct DocumentSignatures: Sendable {
    /// The CAdES verifier (trust anchors and caches).
    public let verifier: CAdESVerifier

    /// Verifies with `verifier`.
    public init(verifier: CAdESVerifier) {
        self.verifier = verifier
    }

    /// One signature entry and its report.
    public struct Outcome: Sendable {
        /// Its index in `signatures`.
        public let index: Int
        /// `I` (issuer), `S` (service provider) or what was sent.
        public let signatureType: String
        /// The checks, or nil when the entry has no value to check.
        public let report: CAdESReport?
    }

    /// The most `signatures` entries verified (one `I`, one `S`).
    public static let maximumEntries = 2

    /// Whether the document's version needs a signature (1.0; 0.9 is accepted without one).
    public static func isRequired(for document: JSONNode) -> Bool {
        document["documentTypeVersion"]?.string == "1.0"
    }

    /// The report of every signature entry.
    /// - Parameters:
    ///   - uuid: the document's UUID when already computed (SHA-256 of its canonical text, hex).
    ///   - fallbackDate: the date certificates are checked at when `dateTimeIssued` cannot be read
    ///     (the platform passes the reception time, so a verdict never depends on the clock).
    public func outcomes(for document: JSONNode, uuid: String? = nil, fallbackDate: Date) -> [Outcome] {
        let digest = uuid.flatMap(Self.bytes(hex:)) ?? Self.bytes(hex: DocumentUUID.compute(document))!
        let content = SignedContent(sha256: digest, bytes: { Array(DocumentUUID.canonicalText(document).utf8) })
        let issued = document["dateTimeIssued"]?.string.flatMap { UTCDateTime($0) }.map { Date(timeIntervalSince1970: TimeInterval($0.secondsSinceEpoch)) } ?? fallbackDate
        let rin = document["issuer"]?["id"]?.string
        // ETA allows one issuer and one service-provider signature: entries past the second are
        // not verified (an error says so), so a document cannot make verification arbitrarily costly.
        return (document["signatures"]?.elements ?? []).prefix(Self.maximumEntries).enumerated().map { index, entry in
            let type = entry["signatureType"]?.string ?? ""
            guard let value = entry["value"]?.string, !value.isEmpty else { return Outcome(index: index, signatureType: type, report: nil) }
            return Outcome(index: index, signatureType: type, report: verifier.verify(value, content: content, at: issued, rin: type == "I" ? rin : nil))
        }
    }

    /// The errors of the document's signature step: empty when its signatures are in order.
    public func errors(for document: JSONNode, uuid: String? = nil, fallbackDate: Date) -> [ETAError] {
        guard Self.isRequired(for: document) else { return [] }
        let outcomes = outcomes(for: document, uuid: uuid, fallbackDate: fallbackDate)
        var errors: [ETAError] = []
        let entries = document["signatures"]?.elements.count ?? 0
        if entries > Self.maximumEntries {
            errors.append(ETAError(code: "Signature.Malformed", message: "A document carries at most \(Self.maximumEntries) signatures (one issuer I, one service provider S); it has \(entries).",
                                   target: "signatures", propertyPath: "signatures"))
        }
        if !outcomes.contains(where: { $0.signatureType == "I" && $0.report != nil }) {
            errors.append(ETAError(code: "Signature.IssuerMissing", message: "Document type version 1.0 must carry the issuer's CAdES-BES signature: a signatures entry with signatureType I and a Base64 value (version 0.9 is accepted without one).",
                                   target: "signatures", propertyPath: "signatures"))
        }
        for outcome in outcomes {
            let path = "signatures[\(outcome.index)]"
            switch outcome.signatureType {
            case "I":
                guard let report = outcome.report else {
                    if outcomes.contains(where: { $0.signatureType == "I" && $0.report != nil }) {
                        errors.append(ETAError(code: "Signature.Malformed", message: "This issuer signature entry has no Base64 value.", target: "signatures", propertyPath: path + ".value"))
                    }
                    continue
                }
                for failure in report.failures {
                    var message = failure.message
                    if failure.kind == .digestMismatch, report.digestAlgorithmName == DigestAlgorithm.sha256.rawValue, let signed = report.signedDigest {
                        message += " " + Self.serializationHint(document, signedDigest: signed)
                    }
                    errors.append(ETAError(code: Self.code(failure.kind), message: message, target: "signatures", propertyPath: path + ".value"))
                }
            case "S":
                guard let report = outcome.report, !report.failures.isEmpty else {
                    if outcome.report == nil {
                        errors.append(ETAError(code: "Signature.ServiceProviderInvalid", message: "The service provider's signature (signatureType S) has no value.", target: "signatures", propertyPath: path + ".value"))
                    }
                    continue
                }
                let details = report.failures.map { ETAError(code: Self.code($0.kind), message: $0.message, target: "signatures", propertyPath: path + ".value") }
                errors.append(ETAError(code: "Signature.ServiceProviderInvalid", message: "The service provider's signature (signatureType S) is not valid: " + report.failures.map(\.message).joined(separator: " "),
                                       target: "signatures", propertyPath: path + ".value", details: details))
            default:
                errors.append(ETAError(code: "Signature.UnknownType", message: "signatureType must be I (issuer) or S (service provider), not '\(outcome.signatureType)'.", target: "signatures", propertyPath: path + ".signatureType"))
            }
        }
        return errors
    }

    /// The error code of a failure kind.
    public static func code(_ kind: CAdESError.Kind) -> String {
        switch kind {
        case .malformed, .unsupportedStructure: "Signature.Malformed"
        case .unsupportedAlgorithm: "Signature.UnsupportedAlgorithm"
        case .missingAttribute: "Signature.MissingAttribute"
        case .contentTypeMismatch: "Signature.ContentTypeMismatch"
        case .digestMismatch: "Signature.DigestMismatch"
        case .signerCertificateMissing: "Signature.SignerCertificateMissing"
        case .signingCertificateMismatch: "Signature.SigningCertificateMismatch"
        case .signatureInvalid: "Signature.Invalid"
        case .untrustedChain: "Signature.UntrustedChain"
        case .certificateNotForSigning: "Signature.CertificateNotForSigning"
        case .certificateExpired: "Signature.CertificateExpired"
        case .certificateNotYetValid: "Signature.CertificateNotYetValid"
        case .rinMismatch: "Signature.RINMismatch"
        default: "Signature.Invalid"
        }
    }

    /// Every code the signature step can give, for the documentation.
    public static let codes = ["Signature.IssuerMissing", "Signature.Malformed", "Signature.UnsupportedAlgorithm", "Signature.MissingAttribute",
                               "Signature.ContentTypeMismatch", "Signature.DigestMismatch", "Signature.SignerCertificateMissing",
                               "Signature.SigningCertificateMismatch", "Signature.Invalid", "Signature.UntrustedChain", "Signature.CertificateNotForSigning",
                               "Signature.CertificateExpired", "Signature.CertificateNotYetValid", "Signature.RINMismatch",
                               "Signature.ServiceProviderInvalid", "Signature.UnknownType"]

    /// Which serialization the signer probably hashed, from the UUID explainer.
    static func serializationHint(_ document: JSONNode, signedDigest: [UInt8]) -> String {
        let explanation = UUIDExplainer.explainDocument(document, claimed: signedDigest.map { String(format: "%02x", $0) }.joined())
        if let mistake = explanation.mistakes.first {
            let more = explanation.mistakes.dropFirst().map(\.summary)
            return "The signer probably hashed a different serialization: \(mistake.summary)\(more.isEmpty ? "" : " (with: " + more.joined(separator: "; ") + ")"). Fix: \(mistake.fix)"
        }
        if let difference = explanation.difference {
            return "No known serialization mistake reproduces the signed digest; the canonical texts first differ at byte \(difference.offset) (\(difference.path)). Compare with `eisal document canonical`."
        }
        return "No known serialization mistake reproduces the signed digest: the document was probably changed after signing. Compare your canonical text with `eisal document canonical`."
    }

    static func bytes(hex: String) -> [UInt8]? {
        guard hex.utf8.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var iterator = hex.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = nibble(high), let l = nibble(low) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x57
        case 0x41...0x46: c - 0x37
        default: nil
        }
    }
}
