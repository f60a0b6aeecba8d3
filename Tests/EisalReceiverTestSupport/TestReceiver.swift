// A real callback receiver for tests: EisalKit's CallbackReceiver on a Hummingbird server on
// loopback, with a SQLite inbox, recording every notification its handler gets and every call it
// answers, and able to misbehave on demand (answer a status, hang, or go down and come back on
// the same port).

import EisalCore
import EisalKitReceiver
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// What the receiver does with the next calls.
public enum ReceiverFault: Sendable {
    /// Answer this status (and body) without handling anything.
    case status(Int, body: String = "")
    /// Wait this long, then handle the call normally.
    case hang(Duration)
}

/// One call the receiver answered.
public struct ReceiverCall: Sendable {
    public var path: String
    public var status: Int
    public var authorization: String?
    public var deliveryId: String?
}

/// The receiver's state, shared by its runs (a restart keeps the inbox and what was handled).
public final class TestReceiver: Sendable {
    public let apiKey: Mutex<String>
    public let rins: Set<String>
    public let inboxPath: String
    private let state = Mutex(State())

    struct State {
        var faults: [ReceiverFault] = []
        var handled: [ReceivedNotification] = []
        var calls: [ReceiverCall] = []
        var handlerDelay: Duration = .zero
        var port = 0
    }

    /// Called with each notification before it is recorded (an SDK's own handler, e.g. a ledger).
    let onNotification: (@Sendable (ReceivedNotification) async throws -> Void)?

    public init(apiKey: String, rins: Set<String>, inboxPath: String, onNotification: (@Sendable (ReceivedNotification) async throws -> Void)? = nil) {
        self.apiKey = Mutex(apiKey)
        self.rins = rins
        self.inboxPath = inboxPath
        self.onNotification = onNotification
    }

    /// Queues faults for the next calls, in order.
    public func inject(_ faults: [ReceiverFault]) { state.withLock { $0.faults += faults } }
    /// How long the handler takes per notification.
    public func setHandlerDelay(_ delay: Duration) { state.withLock { $0.handlerDelay = delay } }
    /// Every notification the handler was given, in order.
    public var handled: [ReceivedNotification] { state.withLock { $0.handled } }
    public var calls: [ReceiverCall] { state.withLock { $0.calls } }
    /// The port of the last run (the next run reuses it).
    public var port: Int { state.withLock { $0.port } }
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Logs only errors.
    public static var quietLogger: Logger {
        var logger = Logger(label: "test-receiver")
        logger.logLevel = .error
        return logger
    }

    func nextFault() -> ReceiverFault? { state.withLock { $0.faults.isEmpty ? nil : $0.faults.removeFirst() } }

    /// Runs the receiver (on its previous port, if it ran before) while `body` runs.
    public func run<T: Sendable>(logger: Logger = TestReceiver.quietLogger, _ body: @Sendable () async throws -> T) async throws -> T {
        let receiver = CallbackReceiver(configuration: .init(apiKey: apiKey.withLock { $0 }, rins: rins), inbox: try SQLiteNotificationInbox(path: inboxPath), logger: logger) { n in
            let delay = self.state.withLock { $0.handlerDelay }
            if delay > .zero { try await Task.sleep(for: delay) }
            try await self.onNotification?(n)
            self.state.withLock { $0.handled.append(n) }
        }
        let router = Router()
        router.add(middleware: FaultMiddleware(receiver: self))
        receiver.register(on: router)
        return try await LoopbackServer.run(router, port: port, name: "test-receiver", logger: logger) { bound in
            state.withLock { $0.port = bound }
            return try await body()
        }
    }

    struct FaultMiddleware: RouterMiddleware {
        typealias Context = BasicRequestContext
        let receiver: TestReceiver

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            // The delivery id is read from the body, which is then handed on unchanged.
            var request = request
            let body = try await request.collectBody(upTo: 16 << 20)
            let deliveryId = (try? JSONParser().parse(Array(buffer: body)))?.root["deliveryId"]?.string
            let response: Response
            switch receiver.nextFault() {
            case let .status(code, text)?:
                response = Response(status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: text)))
            case let .hang(duration)?:
                try? await Task.sleep(for: duration)
                response = try await next(request, context)
            case nil:
                response = try await next(request, context)
            }
            let call = ReceiverCall(path: request.uri.path, status: Int(response.status.code), authorization: request.headers[.authorization], deliveryId: deliveryId)
            receiver.state.withLock { $0.calls.append(call) }
            return response
        }
    }
}
