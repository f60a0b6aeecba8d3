import Foundation
import Synchronization

/// The platform's notion of "now" in seconds since the epoch, injected so tests control token
/// expiry, duplicate windows and date rules.
public struct PlatformClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(_ read: @escaping @Sendable () -> Int64) { self.read = read }

    /// Seconds since the epoch.
    public func now() -> Int64 { read() }

    /// The system clock.
    public static let system = PlatformClock { Int64(Date().timeIntervalSince1970) }

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
