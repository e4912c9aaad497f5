import ContactCenter
import SignalingFrames

/// How the call center reaches the people in a call: the signaling hub implements it.
public protocol CallSignaling: Sendable {
    /// Sends a call frame to every session of `identity`; returns how many got it.
    @discardableResult
    func send(_ frame: CallFrame, to identity: String) async -> Int
    /// Whether `identity` has a signaling session open.
    func isConnected(_ identity: String) async -> Bool
}

/// Why a call request was refused before a call existed.
public struct CallRefusal: Error, Equatable, Sendable {
    public var code: HangupCode
    public init(_ code: HangupCode, _ text: String? = nil) { self.code = text.map { code.withDescription($0) } ?? code }
}
