// Canonical serialization of ETA documents.
// Source: ETA SDK /document-serialization-approach/ (steps 1–6) and /signature-creation/;
// receipt UUID: /receiptissuancefaq/ "How to generate receipt UUID?" (quoted by R-SERVE
// serialize.ts); decisions for unsettled inputs: shared/spec/serialization.md.
//
//   canonical(object) = for each member in received order:
//       "NAME" then: object → canonical(object); array → "NAME" before every element;
//       scalar → "value" (strings minimally escaped, numbers as their lexeme)
//
// The serializer walks the parsed tape and copies byte ranges of the received text, so the
// text it hashes is the text that was sent.

/// Which kind of root is being serialized; decides which members are special.
public enum CanonicalRoot: Sendable, Hashable {
    /// One receipt (an element of `receipts[]`): `header.uuid` follows the style.
    case receipt
    /// One invoice document: its root `signatures` member is left out.
    case document
    /// A whole submission wrapper: root `signatures` left out, each element of `receipts`
    /// treated as a receipt.
    case submission
}

/// Writes the canonical text of a parsed JSON value.
public struct CanonicalSerializer: Sendable {
    /// The style (``CanonicalStyle/eta`` unless reproducing a client's mistake).
    public var style: CanonicalStyle

    public init(style: CanonicalStyle = .eta) {
        self.style = style
        self.isETA = style == .eta
    }

    /// ETA's serializer, made once.
    public static let eta = CanonicalSerializer(style: .eta)

    /// `style == .eta`, decided once.
    let isETA: Bool

    /// Appends the canonical text of `node` (an object) to `out`.
    public func serialize(_ node: JSONNode, root: CanonicalRoot, into out: inout [UInt8]) {
        withCanonicalBytes(node, root: root) { out.append(contentsOf: $0) }
    }

    /// Calls `body` with the canonical text of `node`, without copying it into an array.
    public func withCanonicalBytes<R>(_ node: JSONNode, root: CanonicalRoot, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let capacity = initialCapacity ?? (node.byteRange.count + node.byteRange.count / 4 + 64)
        // Receipt-sized texts start on the stack; the sink moves to the heap only if it grows.
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: min(capacity, 32 * 1024)) { scratch in
            var sink = ByteSink(borrowing: scratch)
            sink.exactGrowth = initialCapacity != nil
            defer { sink.deallocate() }
            if isETA, !forceRecursiveWalk, node.kind == .object, writeETA(node, root: root, into: &sink) {
                // Written by the linear pass.
            } else {
                sink.count = 0
                var recorder = NoPathRecorder()
                write(node, root: root, into: &sink, recorder: &recorder)
            }
            return try body(UnsafeBufferPointer(start: sink.base, count: sink.count))
        }
    }

    /// Room one plain member needs when its name and value are both at most 32 bytes.
    static let memberReserve = 2 * (32 + 2 + 32)

    /// Tests set this to compare the linear ETA pass with the general walker.
    var forceRecursiveWalk = false
    /// Tests set a tiny first buffer, which then grows by exactly what each write asks for.
    var initialCapacity: Int?

    /// ETA's style in one linear pass over the tape (the hot path of every receipt UUID). It
    /// writes exactly what the general walker writes with ``CanonicalStyle/eta``; a test
    /// compares the two on varied and hostile documents.
    /// Returns `false` (having written part of the text) when the document nests deeper than
    /// the pass supports; the caller then starts over with the general walker.
    func writeETA(_ node: JSONNode, root: CanonicalRoot, into result: inout ByteSink) -> Bool {
        node.document.bytes.withUnsafeBufferPointer { bytesBuffer in
            node.document.tape.withUnsafeBufferPointer { tapeBuffer in
                // A local copy lets the sink's pointer and count live in registers.
                var out = result
                defer { result = out }
                let walker = CanonicalWalker(bytes: bytesBuffer.baseAddress!, byteCount: bytesBuffer.count, tape: tapeBuffer.baseAddress!, style: .eta, isETA: true, recorder: NoPathRecorder())
                let tape = tapeBuffer.baseAddress!
                struct Frame {
                    var end: Int
                    var isArray: Bool
                    var name: Int // key token index written before each array element
                    var role: Role // role of this object, or of the elements of this array
                }
                // Nesting never exceeds the number of tokens; receipts need 5 levels.
                let capacity = min(tapeBuffer.count, 256)
                return withUnsafeTemporaryAllocation(of: Frame.self, capacity: capacity) { frames in
                let stack = frames.baseAddress!
                var depth = 0
                func push(_ frame: Frame) -> Bool {
                    guard depth < capacity else { return false }
                    stack[depth] = frame
                    depth += 1
                    return true
                }
                let rootRole: Role = switch root {
                case .receipt: .receipt
                case .document: .document
                case .submission: .submission
                }
                _ = push(Frame(end: Int(tape[node.index].next), isArray: false, name: 0, role: rootRole))
                var i = node.index + 1
                var lastKey = 0
                while true {
                    while depth > 0, i == stack[depth - 1].end { depth -= 1 }
                    guard depth > 0 else { break }
                    let frame = stack[depth - 1]
                    if !frame.isArray, frame.role == .plain {
                        // Hot loop: the members of a plain object, a key and its scalar value per
                        // step, until the object ends or a member holds a container.
                        let end = frame.end
                        var descended = false
                        while i < end {
                            lastKey = i
                            // Room for a short name and a short value (66 + 66 bytes) at once.
                            out.reserve(CanonicalSerializer.memberReserve)
                            let key = tape[i]
                            // A long name reserves (and may use up) room of its own: the value then reserves too.
                            let shortName = walker.writeVerbatimName(key, &out, reserved: true)
                            if !shortName { walker.writeName(key, &out) }
                            let value = tape[i + 1]
                            if value.verbatim {
                                walker.writeVerbatimValue(value, &out, reserved: shortName)
                            } else if value.kind == .object || value.kind == .array {
                                guard push(Frame(end: Int(value.next), isArray: value.kind == .array, name: lastKey, role: .plain)) else { return false }
                                descended = true
                            } else {
                                walker.writeScalar(i + 1, &out)
                            }
                            i += 2
                            if descended { break }
                        }
                        continue
                    }
                    let t = tape[i]
                    if frame.isArray {
                        let name = tape[frame.name]
                        if !walker.writeVerbatimName(name, &out) { walker.writeName(name, &out) }
                    }
                    switch t.kind {
                    case .key:
                        if frame.role != .plain {
                            let valueKind = tape[i + 1].kind
                            switch frame.role {
                            case .header where walker.keyIs(t, "uuid"):
                                walker.writeName(t, &out)
                                out.append(UInt8(ascii: "\""))
                                out.append(UInt8(ascii: "\""))
                                i = Int(tape[i + 1].next)
                                continue
                            case .submission where walker.keyIs(t, "signatures"), .document where walker.keyIs(t, "signatures"):
                                i = Int(tape[i + 1].next)
                                continue
                            default:
                                break
                            }
                            lastKey = i
                            if !walker.writeVerbatimName(t, &out) { walker.writeName(t, &out) }
                            i += 1
                            // The value's role depends on the key it belongs to.
                            let valueRole: Role
                            if frame.role == .receipt, valueKind == .object, walker.keyIs(t, "header") {
                                valueRole = .header
                            } else if frame.role == .submission, walker.keyIs(t, "receipts") {
                                valueRole = .receipt
                            } else {
                                valueRole = .plain
                            }
                            if valueKind == .object || valueKind == .array {
                                guard push(Frame(end: Int(tape[i].next), isArray: valueKind == .array, name: lastKey, role: valueRole)) else { return false }
                                i += 1
                            }
                            continue
                        }
                        lastKey = i
                        if !walker.writeVerbatimName(t, &out) { walker.writeName(t, &out) }
                        i += 1
                        // The member's value in the same step when it is a scalar (most members).
                        let value = tape[i]
                        switch value.kind {
                        case .object, .array:
                            guard push(Frame(end: Int(value.next), isArray: value.kind == .array, name: lastKey, role: .plain)) else { return false }
                        case _ where value.verbatim:
                            walker.writeVerbatimValue(value, &out)
                        default:
                            walker.writeScalar(i, &out)
                        }
                        i += 1
                    case .object, .array:
                        // An element of an array (members' containers are pushed with their key).
                        guard push(Frame(end: Int(t.next), isArray: t.kind == .array, name: frame.name, role: frame.role)) else { return false }
                        i += 1
                    case .number, .true, .false:
                        walker.writeQuotedCopy(Int(t.start), Int(t.end - t.start), &out)
                        i += 1
                    case .string where !t.hasEscapes:
                        walker.writeQuotedCopy(Int(t.start), Int(t.end - t.start), &out)
                        i += 1
                    default:
                        walker.writeScalar(i, &out)
                        i += 1
                    }
                }
                return true
                }
            }
        }
    }

    /// The canonical text of `node` as bytes.
    public func bytes(_ node: JSONNode, root: CanonicalRoot) -> [UInt8] {
        withCanonicalBytes(node, root: root) { Array($0) }
    }

    /// The canonical text of `node` plus, for each written name and value, the output offset
    /// and the property path it belongs to (used to locate the first difference between two texts).
    public func bytesWithPaths(_ node: JSONNode, root: CanonicalRoot) -> (bytes: [UInt8], marks: [CanonicalMark]) {
        var sink = ByteSink(capacity: node.byteRange.count + 64)
        defer { sink.deallocate() }
        var recorder = PathRecorder()
        write(node, root: root, into: &sink, recorder: &recorder)
        return (Array(UnsafeBufferPointer(start: sink.base, count: sink.count)), recorder.marks)
    }

    func write<R: PathRecording>(_ node: JSONNode, root: CanonicalRoot, into sink: inout ByteSink, recorder: inout R) {
        let role: Role = switch root {
        case .receipt: .receipt
        case .document: .document
        case .submission: .submission
        }
        node.document.bytes.withUnsafeBufferPointer { bytes in
            node.document.tape.withUnsafeBufferPointer { tape in
                var walker = CanonicalWalker(bytes: bytes.baseAddress!, byteCount: bytes.count, tape: tape.baseAddress!, style: style, isETA: isETA, recorder: recorder)
                if tape[node.index].kind == .object {
                    walker.writeMembers(node.index, role: role, &sink)
                } else {
                    walker.writeScalar(node.index, &sink)
                }
                recorder = walker.recorder
            }
        }
    }
}
