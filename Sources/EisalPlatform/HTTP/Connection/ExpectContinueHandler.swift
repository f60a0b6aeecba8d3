// `Expect: 100-continue` (RFC 9110 §10.1.1). Hummingbird does not answer it, so a client that waits
// for the interim response (curl; .NET Framework's HttpWebRequest by default) pauses before every
// body it sends: curl for 1 s, .NET Framework for 350 ms.

import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sends `100 Continue` as soon as a request head asks for it, then passes the request on without
/// the `Expect` field. Every request is answered in full later, so sending it at once is safe.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case var .head(request) = unwrapInboundIn(data), request.headerFields[.expect]?.lowercased() == "100-continue" else {
            context.fireChannelRead(data)
            return
        }
        request.headerFields[.expect] = nil
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        context.fireChannelRead(wrapInboundOut(.head(request)))
    }
}
