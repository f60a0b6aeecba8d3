import EisalCore
import EisalKit
import EisalPlatform
import Foundation
import HummingbirdTesting
import NIOCore
import NIOPosix
import Testing

/// A raw TCP connection to the platform, for requests no HTTP client library will send.
struct RawConnection {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func open(port: Int) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
        return RawConnection(channel: channel)
    }

    /// Sends `text`, then reads until `done` says the bytes so far are enough, the peer closes,
    /// or `seconds` pass. Returns what was read and whether the peer closed.
    func exchange(_ text: String, seconds: Double = 10, until done: @escaping @Sendable (String) -> Bool = { _ in false }) async throws -> (String, closed: Bool) {
        try await channel.executeThenClose { inbound, outbound in
            if !text.isEmpty {
                do {
                    try await outbound.write(ByteBuffer(string: text))
                } catch let error as ChannelError where error == .ioOnClosedChannel || error == .outputClosed {
                    // The peer closed first (a loaded machine can be slower than a short server timeout).
                    return ("", true)
                }
            }
            return try await Self.read(inbound, seconds: seconds, until: done)
        }
    }

    static func read(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, seconds: Double, until done: @escaping @Sendable (String) -> Bool) async throws -> (String, closed: Bool) {
        try await withThrowingTaskGroup(of: (String, closed: Bool)?.self) { group in
            group.addTask {
                var received = ""
                do {
                    for try await chunk in inbound {
                        received += String(buffer: chunk)
                        if done(received) { return (received, false) }
                    }
                } catch let error as IOError where error.errnoCode == ECONNRESET && !received.isEmpty {
                    // The server closed after its answer while this side was still sending (a
                    // trickling client): the kernel's reset came after the answer, which was read.
                    return (received, true)
                }
                return (received, true)
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first ?? ("", false)
        }
    }
}

@Suite("HTTP framing (raw sockets, live server)")
struct HTTPFramingTests {
    static func head(_ token: String, _ extra: String) -> String {
        "POST /api/v1/receiptsubmissions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n\(extra)\r\n"
    }

    @Test func brokenChunkedFramingIsA400NotA500() async throws {
        try await Harness().run(.live) { client, startup in
            let token = try await client.posToken(startup.pos)
            let port = try #require(client.port)
            let connection = try await RawConnection.open(port: port)
            let (answer, _) = try await connection.exchange(Self.head(token, "Transfer-Encoding: chunked\r\n") + "zz\r\n{}\r\n0\r\n\r\n") { $0.contains("}") }
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer)")
            #expect(answer.contains(#""code":"BadRequest""#), "\(answer)")
        }
    }

    @Test func expectContinueIsAnsweredBeforeTheBodyIsSent() async throws {
        try await Harness().run(.live) { client, startup in
            let token = try await client.posToken(startup.pos)
            let port = try #require(client.port)
            let connection = try await RawConnection.open(port: port)
            var chain = ReceiptChain()
            let body = String(decoding: ReceiptChain.submission([try chain.next()]), as: UTF8.self)
            try await connection.channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: Self.head(token, "Expect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n")))
                var iterator = inbound.makeAsyncIterator()
                var interim = ""
                while !interim.contains("\r\n\r\n"), let chunk = try await iterator.next() { interim += String(buffer: chunk) }
                #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
                try await outbound.write(ByteBuffer(string: body))
                var final = String(interim.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first ?? "")
                while !final.contains("acceptedDocuments"), let chunk = try await iterator.next() { final += String(buffer: chunk) }
                #expect(final.hasPrefix("HTTP/1.1 202"), "\(final)")
            }
        }
    }

    @Test func aStalledUploadIsClosedAfterTheIdleTimeout() async throws {
        try await Harness { $0.idleTimeoutSeconds = 1 }.run(.live) { client, startup in
            // The token comes over a new connection: the test client's own connection may already
            // have been closed by this 1 s idle timeout on a loaded machine.
            let port = try #require(client.port)
            let pos = startup.pos
            let sdk = EisalClient(configuration: .init(apiBaseURL: "http://127.0.0.1:\(port)", clientID: pos.clientID, clientSecret: pos.clientSecret,
                                                       posSerial: pos.posSerial, posOSVersion: pos.posOSVersion, presharedKey: pos.presharedKey))
            let token: String
            do {
                token = try await sdk.accessToken()
                try await sdk.shutdown()
            } catch {
                try? await sdk.shutdown()
                throw error
            }
            let connection = try await RawConnection.open(port: port)
            let started = ContinuousClock.now
            var closed: Bool
            do {
                (_, closed) = try await connection.exchange(Self.head(token, "Content-Length: 1000\r\n") + #"{"receipts": ["#, seconds: 30)
            } catch let error as ChannelError where error == .ioOnClosedChannel {
                closed = true // the server closed the connection while the test was still writing or closing it
            } catch let error as IOError where error.errnoCode == ECONNRESET {
                closed = true
            }
            #expect(closed, "the server closed the silent connection")
            #expect(ContinuousClock.now - started < .seconds(25))
        }
    }

    @Test(arguments: [
        ("Content-Type: application/jsonx", 415),
        ("Content-Type: application/json-patch+json", 415),
        ("Content-Type: application/json; charset=iso-8859-1", 415),
        ("Content-Type: application/json\r\nContent-Encoding: gzip", 415),
        ("Content-Type: text/json", 415),
        ("Content-Type: APPLICATION/JSON; charset=\"UTF-8\"", 202),
        ("Content-Type: application/json;charset=utf-8\r\nContent-Encoding: identity", 202),
    ])
    func onlyUncompressedUTF8JSONIsAccepted(_ headers: String, _ status: Int) async throws {
        try await Harness().run(.live) { client, startup in
            let token = try await client.posToken(startup.pos)
            var chain = ReceiptChain()
            let body = String(decoding: ReceiptChain.submission([try chain.next()]), as: UTF8.self)
            let port = try #require(client.port)
            let connection = try await RawConnection.open(port: port)
            let request = "POST /api/v1/receiptsubmissions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n\(headers)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
            let (answer, _) = try await connection.exchange(request) { $0.contains("}") && $0.hasSuffix("}") }
            #expect(answer.hasPrefix("HTTP/1.1 \(status)"), "\(answer)")
            if status == 415 { #expect(answer.contains(#""code":"UnsupportedMediaType""#)) }
        }
    }
}
