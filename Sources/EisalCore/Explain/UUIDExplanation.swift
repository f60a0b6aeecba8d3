// The report of the UUID explainer, its plain-words and JSON renderings, and the `ETAError`
// detail the platform's intake returns for a mismatching receipt UUID.
// Sources: ETA SDK /document-serialization-approach/, /receiptissuancefaq/ ("How to generate
// receipt UUID?"), /standard-error-response/ (error shape); shared/spec/serialization.md.

/// Why a claimed receipt UUID is right or wrong.
public struct UUIDExplanation: Sendable, Hashable, Codable {
    /// The outcome.
    public enum Verdict: String, Sendable, Hashable, Codable {
        /// The claimed UUID is exactly the computed one. Nothing else was computed.
        case correct
        /// The computed UUID in upper-case (or mixed-case) hex: accepted, UUIDs are compared
        /// case-insensitively.
        case upperCaseHex
        /// Wrong; a known mistake (or a pair of them) reproduces the claimed UUID.
        case knownMistake
        /// Wrong; no known mistake reproduces it (compare ``UUIDExplanation/canonicalText``).
        case unknownMistake
        /// The claim is not 64 hex digits, so no serialization can produce it.
        case notAUUID
    }

    /// A catalogue entry as reported.
    public struct Entry: Sendable, Hashable, Codable {
        /// ``UUIDMistake/id``.
        public var id: String
        /// ``UUIDMistake/summary``.
        public var summary: String
        /// ``UUIDMistake/fix``.
        public var fix: String

        /// The entry of `mistake`.
        public init(_ mistake: UUIDMistake) {
            id = mistake.id
            summary = mistake.summary
            fix = mistake.fix
        }
    }

    /// The first place where the right canonical text and the text the client hashed differ.
    public struct Difference: Sendable, Hashable, Codable {
        /// Byte offset of the first differing byte (in both texts).
        public var offset: Int
        /// Property path written at that offset in the right text (e.g. `itemData[0].unitPrice`).
        public var path: String
        /// Property path written at that offset in the client's text.
        public var yourPath: String
        /// About 40 bytes of the right text around the offset.
        public var expected: String
        /// About 40 bytes of the client's text around the offset.
        public var yours: String
    }

    /// The outcome.
    public let verdict: Verdict
    /// Whether the platform accepts the claimed UUID (``Verdict/correct`` or ``Verdict/upperCaseHex``).
    public let accepted: Bool
    /// The UUID the client sent.
    public let claimed: String
    /// The UUID Eisal computes (lower-case hex).
    public let computed: String
    /// The mistakes that reproduce the claim, in catalogue order (empty when none does).
    public let mistakes: [Entry]
    /// Variant serializations compared with the claim (0 when the claim is exactly right).
    public let serializationsTried: Int
    /// Where the right text and the client's text first differ (known text mistakes only).
    public let difference: Difference?
    /// The canonical text Eisal hashed, when no known mistake explains the claim.
    public let canonicalText: String?

    /// A report; ``accepted`` follows from `verdict`.
    public init(verdict: Verdict, claimed: String, computed: String, mistakes: [Entry] = [], serializationsTried: Int = 0, difference: Difference? = nil, canonicalText: String? = nil) {
        self.verdict = verdict
        self.accepted = verdict == .correct || verdict == .upperCaseHex
        self.claimed = claimed
        self.computed = computed
        self.mistakes = mistakes
        self.serializationsTried = serializationsTried
        self.difference = difference
        self.canonicalText = canonicalText
    }

    /// The ids of ``mistakes``.
    public var mistakeIDs: [String] { mistakes.map(\.id) }

    /// The report as ordered JSON (members in declaration order; absent values omitted).
    public var json: JSONValue {
        // Encoding plain strings, numbers and nested structs cannot fail.
        (try? JSONValueEncoder().encode(self)) ?? .object([])
    }

    /// The report in plain words, several lines, no trailing newline.
    public var plainText: String {
        var lines: [String] = []
        switch verdict {
        case .correct:
            lines.append("correct: \(claimed)")
        case .upperCaseHex:
            lines.append("accepted (upper-case hex): \(claimed)")
            lines.append("  the platform compares UUIDs case-insensitively and returns \(computed)")
        case .knownMistake, .unknownMistake, .notAUUID:
            lines.append("wrong UUID")
            lines.append("  claimed:  \(claimed.isEmpty ? "(empty)" : claimed)")
            lines.append("  computed: \(computed)")
        }
        switch verdict {
        case .knownMistake:
            let ids = mistakes.map(\.id).joined(separator: " + ")
            lines.append("  reproduced by: \(ids) (\(serializationsTried) variants tried)")
            for m in mistakes {
                lines.append("  - \(m.id): \(m.summary)")
                lines.append("    fix: \(m.fix)")
            }
            if let difference {
                let where_ = difference.path == difference.yourPath || difference.yourPath.isEmpty
                    ? difference.path : "\(difference.path) (yours: \(difference.yourPath))"
                lines.append("  first difference at byte \(difference.offset), \(where_.isEmpty ? "the start" : where_):")
                lines.append("    expected: \(difference.expected)")
                lines.append("    yours:    \(difference.yours)")
            }
        case .unknownMistake:
            lines.append("  no known mistake reproduces it (\(serializationsTried) variants tried).")
            lines.append("  Eisal hashed this canonical text; diff it against the text you hashed:")
            lines.append(canonicalText ?? "")
        case .notAUUID:
            lines.append("  the claimed UUID is not 64 hex digits.")
            lines.append("  Eisal hashed this canonical text:")
            lines.append(canonicalText ?? "")
        case .correct, .upperCaseHex:
            break
        }
        return lines.joined(separator: "\n")
    }

    /// The error detail the platform returns for this receipt, or `nil` when the UUID is accepted.
    /// Code `UUID.Mismatch`, target `uuid`, property path `header.uuid`.
    public var etaError: ETAError? {
        guard !accepted else { return nil }
        var message = "header.uuid \(claimed.isEmpty ? "(empty)" : claimed) does not match the computed UUID \(computed)."
        switch verdict {
        case .knownMistake:
            let textual = mistakes.filter { $0.id != UUIDMistake.upperCaseHex.id }
            message += " Likely cause (\(textual.map(\.id).joined(separator: " + "))): "
            message += textual.map(\.summary).joined(separator: " ")
            message += " Fix: " + textual.map(\.fix).joined(separator: " ")
            if let difference, !difference.path.isEmpty { message += " First difference at \(difference.path)." }
        case .unknownMistake:
            message += " No known serialization mistake reproduces it; compare your canonical text with `eisal receipt canonical`."
        case .notAUUID:
            message += " The claimed UUID is not 64 hex digits."
        case .correct, .upperCaseHex:
            break
        }
        return ETAError(code: "UUID.Mismatch", message: message, target: "uuid", propertyPath: "header.uuid")
    }
}

extension UUIDExplainer {
    /// The intake's check: `nil` when `claimed` matches `computed` (one string comparison, no
    /// explainer run); otherwise the explained `UUID.Mismatch` error detail.
    public static func mismatchError(_ receipt: JSONNode, claimed: String, computed: String, submission: JSONNode? = nil) -> ETAError? {
        if ReceiptUUID.matches(claimed: claimed, computed: computed) { return nil }
        return explain(receipt, claimed: claimed, submission: submission, computed: computed).etaError
    }
}
