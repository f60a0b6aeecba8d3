// Explains a receipt UUID mismatch: recomputes the right UUID and tries the known wrong
// serializations (`UUIDMistake.catalogue`, alone and in pairs) until one reproduces the claim.
// Sources: ETA SDK /document-serialization-approach/ (steps 1–6), /receiptissuancefaq/ ("How to
// generate receipt UUID?"), shared/spec/serialization.md ("Receipt UUID"; UUIDs compared
// case-insensitively). Every variant runs through the one `CanonicalSerializer`.

import Crypto

/// Finds out why a claimed receipt UUID differs from the one Eisal (and ETA) compute.
///
/// Runs only when asked: a correct UUID costs one string comparison. Keep one explainer per
/// submission: the digests of the whole-submission variants are the same for every receipt in it
/// and are computed once.
public struct UUIDExplainer: Sendable {
    /// What is explained: a receipt's UUID, or an invoice document's digest (its UUID, and what
    /// its issuer signs: canonical text without `signatures`, spec/serialization.md).
    public enum Subject: Sendable, Hashable {
        case receipt, document
    }

    /// The whole submission body the receipts came in, if known (enables
    /// ``UUIDMistake/submissionWrapperHashed``).
    public let submission: JSONNode?
    public let subject: Subject
    /// Digests of whole-submission variants, by sorted catalogue indices.
    private var submissionDigests: [[Int]: String] = [:]
    private var submissionFeatures: Features?

    /// - Parameter submission: the submission body (`{"receipts": [...]}`) the receipts belong
    ///   to, or `nil` for a receipt on its own.
    public init(submission: JSONNode? = nil) {
        self.submission = submission?.kind == .object ? submission : nil
        subject = .receipt
    }

    /// An explainer of invoice document digests (``UUIDMistake/documentCatalogue``).
    public static func documents() -> UUIDExplainer { UUIDExplainer(subject: .document) }

    private init(subject: Subject) {
        submission = nil
        self.subject = subject
    }

    /// Explains `claimed`, a digest a client computed for `document` (one element of
    /// `documents[]`, as sent): which known serialization mistake reproduces it.
    public static func explainDocument(_ document: JSONNode, claimed: String) -> UUIDExplanation {
        var explainer = UUIDExplainer.documents()
        return explainer.explain(document, claimed: claimed)
    }

    var baseRoot: CanonicalRoot { subject == .receipt ? .receipt : .document }

    func computeDigest(_ node: JSONNode) -> String { subject == .receipt ? ReceiptUUID.compute(node) : DocumentUUID.compute(node) }

    func canonicalText(_ node: JSONNode) -> String { subject == .receipt ? ReceiptUUID.canonicalText(node) : DocumentUUID.canonicalText(node) }

    /// Explains `claimed` for `receipt` (one element of `receipts[]`, exactly as received).
    /// - Parameter computed: the receipt's UUID if already computed (saves one serialization).
    public static func explain(_ receipt: JSONNode, claimed: String, submission: JSONNode? = nil, computed: String? = nil) -> UUIDExplanation {
        var explainer = UUIDExplainer(submission: submission)
        return explainer.explain(receipt, claimed: claimed, computed: computed)
    }

    /// Explains `claimed` for `receipt` (one element of `receipts[]`, exactly as received).
    /// - Parameter computed: the receipt's UUID if already computed (saves one serialization).
    public mutating func explain(_ receipt: JSONNode, claimed: String, computed: String? = nil) -> UUIDExplanation {
        let computed = computed ?? computeDigest(receipt)
        if claimed == computed { return UUIDExplanation(verdict: .correct, claimed: claimed, computed: computed) }
        if ReceiptUUID.matches(claimed: claimed, computed: computed) {
            return UUIDExplanation(verdict: .upperCaseHex, claimed: claimed, computed: computed, mistakes: [UUIDExplanation.Entry(.upperCaseHex)])
        }
        guard Self.isHexDigest(claimed) else {
            return UUIDExplanation(verdict: .notAUUID, claimed: claimed, computed: computed, canonicalText: canonicalText(receipt))
        }
        let target = claimed.lowercased()
        var tried = 0
        // A receipt that is not an object has no structure for a mistake to change.
        guard receipt.kind == .object, var found = search(receipt, target: target, computed: computed, tried: &tried) else {
            return UUIDExplanation(verdict: .unknownMistake, claimed: claimed, computed: computed, serializationsTried: tried, canonicalText: canonicalText(receipt))
        }
        let difference = difference(receipt, variant: found)
        if target != claimed, let hex = catalogue.firstIndex(of: .upperCaseHex) { found.append(hex) }
        return UUIDExplanation(
            verdict: .knownMistake, claimed: claimed, computed: computed,
            mistakes: found.map { UUIDExplanation.Entry(catalogue[$0]) },
            serializationsTried: tried, difference: difference
        )
    }

    /// Whether `s` is 64 hex digits (either case).
    static func isHexDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { JSONEscapes.hexDigit($0) != nil }
    }

    /// The mistakes tried for this subject.
    var catalogue: [UUIDMistake] { subject == .receipt ? UUIDMistake.catalogue : UUIDMistake.documentCatalogue }
    /// Largest submission body (bytes) for which the whole-submission variant is also tried in
    /// pairs with other mistakes. 64 KiB.
    public static let wrapperPairLimit = 64 * 1024
    /// Catalogue indices of the mistakes that change the hashed text.
    var textual: [Int] { catalogue.indices.filter { catalogue[$0].changesText } }

    /// The style and root of a combination of mistakes.
    func variant(_ indices: [Int]) -> (style: CanonicalStyle, root: CanonicalRoot) {
        let catalogue = self.catalogue
        var style = CanonicalStyle.eta
        var root = baseRoot
        for i in indices {
            style = catalogue[i].applied(to: style)
            root = catalogue[i].root(from: root)
        }
        return (style, root)
    }

    static func digest(_ node: JSONNode, style: CanonicalStyle, root: CanonicalRoot) -> String {
        CanonicalSerializer(style: style).withCanonicalBytes(node, root: root) { text in
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(text))
            return Hex.lowercase(hasher.finalize())
        }
    }

    /// The catalogue indices (one or two) whose variant hashes to `target`, or `nil`.
    private mutating func search(_ receipt: JSONNode, target: String, computed: String, tried: inout Int) -> [Int]? {
        let receiptFeatures = Features(receipt: receipt, claimed: target)
        if submission != nil, submissionFeatures == nil, let submission {
            submissionFeatures = Features(submission: submission)
        }
        let catalogue = self.catalogue
        let wrapper = catalogue.firstIndex(of: .submissionWrapperHashed)
        func features(_ indices: [Int]) -> Features? {
            if let wrapper, indices.contains(wrapper) { return submissionFeatures }
            return receiptFeatures
        }
        func applicable(_ indices: [Int]) -> Bool {
            guard let f = features(indices) else { return false }
            return indices.allSatisfy { f.allows(catalogue[$0]) }
        }
        func hash(_ indices: [Int]) -> String {
            tried += 1
            let (style, root) = variant(indices)
            if root == .submission, let submission {
                if let cached = submissionDigests[indices] { return cached }
                let d = Self.digest(submission, style: style, root: root)
                submissionDigests[indices] = d
                return d
            }
            return Self.digest(receipt, style: style, root: root)
        }
        // Singles first; a mistake whose text equals the right text is dropped (and so are its pairs).
        var useful: [Int] = []
        var singleDigests: [Int: String] = [:]
        for i in textual where applicable([i]) {
            let d = hash([i])
            if d == target { return [i] }
            if d != computed {
                useful.append(i)
                singleDigests[i] = d
            }
        }
        // Pairs with the whole-submission variant re-serialize the whole body once each; past
        // `wrapperPairLimit` bytes only the single wrapper variant is tried, so no receipt pays
        // more than a few milliseconds for it.
        let wrapperPairs = (submission?.byteRange.count ?? 0) <= Self.wrapperPairLimit
        for (n, a) in useful.enumerated() {
            for b in useful[(n + 1)...] where catalogue[a].dimension != catalogue[b].dimension && applicable([a, b])
                && (wrapperPairs || (a != wrapper && b != wrapper)) {
                let d = hash([a, b])
                if d == target { return [a, b] }
            }
        }
        return nil
    }

    /// The first position where the right canonical text and the variant's text differ.
    private func difference(_ receipt: JSONNode, variant indices: [Int]) -> UUIDExplanation.Difference? {
        let (style, root) = variant(indices)
        guard style != .eta || root != baseRoot else { return nil }
        let node = root == .submission ? (submission ?? receipt) : receipt
        let right = CanonicalSerializer(style: .eta).bytesWithPaths(receipt, root: baseRoot)
        let yours = CanonicalSerializer(style: style).bytesWithPaths(node, root: root)
        let a = right.bytes, b = yours.bytes
        var d = 0
        let common = min(a.count, b.count)
        while d < common, a[d] == b[d] { d += 1 }
        if d == a.count, d == b.count { return nil }
        func path(_ marks: [CanonicalMark]) -> String {
            // Marks are in increasing offset order; take the last one at or before `d`.
            var lo = 0, hi = marks.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if marks[mid].offset <= d { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 ? marks[lo - 1].path : ""
        }
        return UUIDExplanation.Difference(
            offset: d,
            path: path(right.marks),
            yourPath: path(yours.marks),
            expected: Self.excerpt(a, around: d),
            yours: Self.excerpt(b, around: d)
        )
    }

    /// About 40 bytes of `text` around `offset`, cut at UTF-8 character boundaries, with `…`
    /// where text was cut.
    static func excerpt(_ text: [UInt8], around offset: Int) -> String {
        func isContinuation(_ i: Int) -> Bool { i < text.count && text[i] & 0xC0 == 0x80 }
        var start = max(0, min(offset, text.count) - 16)
        while start > 0, isContinuation(start) { start -= 1 }
        var end = min(text.count, start + 40)
        while end < text.count, isContinuation(end) { end += 1 }
        let body = String(decoding: text[start ..< end], as: UTF8.self)
        return (start > 0 ? "…" : "") + body + (end < text.count ? "…" : "")
    }
}

/// Cheap facts about a receipt (or a submission) that rule out mistakes that cannot change its text.
struct Features: Sendable {
    var shortestDiffers = false
    var pythonDiffers = false
    var escapableText = false
    var arrayElements = false
    var lowerCaseNames = false
    var uuidWithValue = false
    var previousUUID = false
    var referenceUUID = false

    init(receipt: JSONNode, claimed: String) {
        scan(receipt)
        addHeader(of: receipt)
        // Hashing text that holds the claimed UUID cannot give that UUID.
        if let uuid = receipt["header"]?["uuid"]?.string, uuid.lowercased() == claimed { uuidWithValue = false }
    }

    init(submission: JSONNode) {
        scan(submission)
        if let receipts = submission["receipts"] {
            for r in receipts.elements { addHeader(of: r) }
        }
    }

    mutating func addHeader(of receipt: JSONNode) {
        guard let header = receipt["header"], header.kind == .object else { return }
        if let uuid = header["uuid"], uuid.kind != .string || uuid.string != "" { uuidWithValue = true }
        if header["previousUUID"] != nil { previousUUID = true }
        if header["referenceUUID"] != nil { referenceUUID = true }
    }

    /// One linear pass over the node's tokens.
    mutating func scan(_ node: JSONNode) {
        let document = node.document
        let tape = document.tape
        let end = Int(tape[node.index].next)
        var i = node.index
        while i < end {
            let t = tape[i]
            switch t.kind {
            case .number where !(shortestDiffers && pythonDiffers):
                let lexeme = String(decoding: document.bytes[Int(t.start) ..< Int(t.end)], as: UTF8.self)
                if !shortestDiffers, CanonicalText.shortestDouble(lexeme) != lexeme { shortestDiffers = true }
                if !pythonDiffers, CanonicalText.pythonFloat(lexeme) != lexeme { pythonDiffers = true }
            case .string, .key:
                if t.kind == .key, !lowerCaseNames {
                    for b in document.bytes[Int(t.start) ..< Int(t.end)] where b >= 0x80 || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) {
                        lowerCaseNames = true
                        break
                    }
                }
                if t.hasEscapes, !escapableText {
                    var decoded: [UInt8] = []
                    document.appendDecodedBytes(t, to: &decoded)
                    if decoded.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) { escapableText = true }
                }
            case .array where t.count > 0:
                arrayElements = true
            default:
                break
            }
            i += 1
        }
    }

    /// Whether `mistake` can change this text.
    func allows(_ mistake: UUIDMistake) -> Bool {
        switch mistake.change {
        case .numbers(.shortestDouble): shortestDiffers
        case .numbers(.pythonFloat): pythonDiffers
        case .numbers(.asWritten): false
        case .strings: escapableText
        case .arrays: arrayElements
        case .names: lowerCaseNames
        case .memberOrder: true
        case .headerUUID(.keptWithValue): uuidWithValue
        case .headerUUID: true
        case .omittedHeaderMember("previousUUID"): previousUUID
        case .omittedHeaderMember("referenceUUID"): referenceUUID
        case .omittedHeaderMember: true
        case .root: true
        case .upperCaseHex: false
        }
    }
}
