import Foundation
import Synchronization

/// The platform's notion of "now" in seconds since the epoch, injected so tests control token
/// expiry, duplicate windows and date rules.
public struct PlatformClock: Sendable {
    private let read: @Sendable () -> Int64
    private let readMilliseconds: @Sendable () -> Int64

    /// A clock reading seconds; its milliseconds are whole seconds.
    public init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
        readMilliseconds = { read() * 1000 }
    }

    private init(seconds: @escaping @Sendable () -> Int64, milliseconds: @escaping @Sendable () -> Int64) {
        read = seconds
        readMilliseconds = milliseconds
    }

    /// A clock reading milliseconds.
    public static func milliseconds(_ read: @escaping @Sendable () -> Int64) -> PlatformClock {
        PlatformClock(seconds: { read() / 1000 }, milliseconds: read)
    }

    /// Seconds since the epoch.
    public func now() -> Int64 { read() }

    /// Milliseconds since the epoch (notification batching and latency).
    public func nowMilliseconds() -> Int64 { readMilliseconds() }

    /// The system clock.
    public static let system = PlatformClock.milliseconds { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// A clock that starts at `start` and moves only when told (tests).
    public static func manual(_ start: Int64) -> (PlatformClock, ManualClock) {
        let manual = ManualClock(start)
        return (PlatformClock { manual.now }, manual)
    }
}

/// The hand of a manual ``PlatformClock``.
public final class ManualClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64) { value = Mutex(start) }
    public var now: Int64 { value.withLock { $0 } }
    public func advance(by seconds: Int64) { value.withLock { $0 += seconds } }
}
