import ContactCenter
import Foundation
import SignalingFrames

/// Infobip's call states.
public enum CallState: String, Codable, Sendable, CaseIterable {
    case CALLING, RINGING, PRE_ESTABLISHED, ESTABLISHED, FINISHED, FAILED, CANCELLED, NO_ANSWER, BUSY
}

/// Why a call ended: Infobip's `{id, name, description}`, the same value the `call.hangup` frame
/// carries.
public typealias HangupCode = CallFrame.ErrorCode

extension HangupCode {
    public static let normalHangup = HangupCode(
        id: 10000, name: "NORMAL_HANGUP",
        description: "The call has ended with hangup initiated by caller, callee or API.")
    public static let transferred = HangupCode(
        id: 10001, name: "TRANSFERRED", description: "The agent transferred the call and left it.")
    public static let noAnswer = HangupCode(
        id: 10200, name: "NO_ANSWER", description: "The destination did not answer the call in time.")
    public static let busy = HangupCode(id: 10201, name: "BUSY", description: "The destination is busy.")
    public static let cancelled = HangupCode(
        id: 10202, name: "CANCELLED", description: "The caller cancelled the call before it was answered.")
    public static let rejected = HangupCode(
        id: 10203, name: "REJECTED", description: "The destination rejected the call.")
    public static let destinationNotFound = HangupCode(
        id: 10204, name: "DESTINATION_NOT_FOUND", description: "The destination does not exist or is not connected.")
    public static let noAvailableAgent = HangupCode(
        id: 10205, name: "NO_AVAILABLE_AGENT", description: "No agent of the queue is available.")
    public static let outsideWorkingHours = HangupCode(
        id: 10207, name: "OUTSIDE_WORKING_HOURS",
        description: "The queue is outside its working hours and takes no calls now.")
    public static let maximumWaitTimeReached = HangupCode(
        id: 10208, name: "MAXIMUM_WAIT_TIME_REACHED",
        description: "The caller waited in the queue for the waiting strategy's maximum wait time.")
    public static let callbackRequested = HangupCode(
        id: 10209, name: "CALLBACK_REQUESTED",
        description: "The caller asked to be called back; the call ended and the caller keeps their place in the queue."
    )
    public static let requestTimeout = HangupCode(
        id: 10206, name: "REQUEST_TIMEOUT", description: "The phone network did not respond in time.")
    public static let mediaFailure = HangupCode(
        id: 10300, name: "MEDIA_FAILURE", description: "Media could not be set up or was lost.")
    public static let signalingLost = HangupCode(
        id: 10301, name: "SIGNALING_LOST", description: "The party's signaling connection was lost.")
    public static let invalidRequest = HangupCode(
        id: 10400, name: "INVALID_REQUEST", description: "The call request was invalid.")
    public static let forbidden = HangupCode(
        id: 10403, name: "FORBIDDEN", description: "The caller may not make this call.")
    public static let serviceUnavailable = HangupCode(
        id: 10503, name: "SERVICE_UNAVAILABLE",
        description: "The gateway or the phone network cannot take the call now (capacity or trunk failure).")

    public func withDescription(_ text: String) -> HangupCode {
        HangupCode(id: id, name: name, description: text)
    }
}

/// A call as stored and listed over REST; it belongs to a conversation.
public struct CallRecord: Persistable, Equatable {
    public static let collection = DocumentCollection.call
    public var id: String
    public var conversationId: String
    /// `INBOUND` (a customer called the center) or `OUTBOUND` (an agent called out).
    public var direction: String
    public var caller: String
    public var callee: String?
    public var agentId: String?
    public var queueId: String?
    public var state: CallState
    public var video: Bool
    public var hangupCode: HangupCode?
    public var createdAt: Date
    public var updatedAt: Date
    public var answeredAt: Date?
    public var endedAt: Date?
}
