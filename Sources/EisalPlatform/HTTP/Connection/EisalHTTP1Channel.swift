// Eisal's HTTP/1.1 child channel: Hummingbird's HTTP1Channel pipeline with the connection guards in
// front of the request handling (ConnectionGuard.swift). Request handling itself is Hummingbird's
// (`handleHTTP`). Wrapped by HummingbirdTLS's TLSChannel for HTTPS.

import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// An HTTP/1.1 server channel whose protocol errors, unsupported methods and slow requests are
/// answered with the contract's error body (see ``ConnectionGuard``).
struct EisalHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    /// Limits of one connection.
    struct Limits: Sendable {
        /// Time to receive a request's head, from its first byte.
        var headTimeout: TimeAmount
        /// Time to receive a request's body, from the end of its head.
        var bodyTimeout: TimeAmount
        /// Silence (no byte either way) after which an idle connection is closed.
        var idleTimeout: Duration
    }

    let responder: HTTPChannelHandler.Responder
    let limits: Limits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let clock = RequestClock()
            let wire = RawResponder(clock: clock, limits: limits, logger: logger)
            try channel.pipeline.syncOperations.addHandler(wire)
            // Hummingbird's limits: 80 KB for one header field and for all, at most 1,000 fields.
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = 80 * 1024
            decoderLimits.maxHeaderListSize = 80 * 1024
            decoderLimits.maxHeaderFieldCount = 1000
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits
            )
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(ExpectContinueHandler())
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard(clock: clock, wire: wire, logger: logger))
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: limits.idleTimeout, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
