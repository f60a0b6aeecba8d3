// Where the canonical serializer writes: a growable byte buffer written through a raw pointer,
// and the optional recording of which property path each written byte range belongs to (for the
// UUID explainer's "where the texts first differ").

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A position in canonical text and the property path written there.
public struct CanonicalMark: Sendable, Hashable {
    /// Offset in the canonical text where this name or value starts.
    public var offset: Int
    /// Property path, e.g. `header.uuid` or `itemData[1].quantity`.
    public var path: String
}

/// Growable output buffer written through a raw pointer (the serializer's hot path).
struct ByteSink {
    var base: UnsafeMutablePointer<UInt8>
    var count = 0
    var capacity: Int
    /// Whether `base` was allocated here (a borrowed buffer is never freed by the sink).
    var ownsBase: Bool
    /// Grow to exactly the room asked for (tests: any write that did not ask is then caught).
    var exactGrowth = false

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        ownsBase = true
    }

    /// Starts in `buffer` (e.g. a temporary stack allocation); grows into the heap if needed.
    init(borrowing buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = buffer.baseAddress!
        capacity = buffer.count
        ownsBase = false
    }

    func deallocate() { if ownsBase { base.deallocate() } }

    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    mutating func grow(_ needed: Int) {
        let newCapacity = exactGrowth ? needed : max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        if ownsBase { base.deallocate() }
        base = newBase
        capacity = newCapacity
        ownsBase = true
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ source: UnsafePointer<UInt8>, _ length: Int) {
        reserve(length)
        (base + count).update(from: source, count: length)
        count += length
    }

    mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { if let p = $0.baseAddress { append(p, $0.count) } }
    }
}

/// Receives the property path of each written name (only the explainer records them).
protocol PathRecording {
    static var records: Bool { get }
    mutating func push(_ component: String)
    mutating func pop()
    mutating func mark(_ offset: Int)
}

struct NoPathRecorder: PathRecording {
    static var records: Bool { false }
    @inline(__always) mutating func push(_ component: String) {}
    @inline(__always) mutating func pop() {}
    @inline(__always) mutating func mark(_ offset: Int) {}
}

struct PathRecorder: PathRecording {
    var marks: [CanonicalMark] = []
    var stack: [String] = []

    static var records: Bool { true }
    mutating func push(_ component: String) { stack.append(component) }
    mutating func pop() { stack.removeLast() }
    mutating func mark(_ offset: Int) {
        var path = ""
        for component in stack {
            if component.hasPrefix("[") || path.isEmpty { path += component } else { path += "." + component }
        }
        marks.append(CanonicalMark(offset: offset, path: path))
    }
}
