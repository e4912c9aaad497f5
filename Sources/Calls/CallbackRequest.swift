import ContactCenter
import Foundation

/// A caller's request to be called back, as stored: it keeps the caller's place in the queue
/// (`waitingSince`) until the gateway reaches them, across restarts.
public struct CallbackRequest: Persistable, Equatable {
    public static let collection = DocumentCollection.callback

    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Waiting for its turn (or for its next attempt, after `notBefore`).
        case PENDING
        /// The customer is being called now.
        case CALLING
        /// The customer answered the callback.
        case COMPLETED
        /// Every attempt failed.
        case FAILED
        /// Cancelled over REST before it was served.
        case CANCELLED
    }

    public var id: String
    public var conversationId: String
    public var queueId: String
    /// The customer: a phone number (`clientType` PSTN) or an in-app identity (WEBRTC).
    public var customer: String
    public var clientType: String
    /// The trunk the customer called through, and the number they called: the callback comes
    /// from that number.
    public var trunkId: String?
    public var callerId: String?
    public var priority: ConversationPriority
    /// When the customer's call arrived: the callback's place in the queue.
    public var waitingSince: Date
    /// The call in which the customer asked, and the keys they pressed.
    public var requestedInCallId: String
    public var keys: String
    public var status: Status
    public var attempts: Int
    /// A failed attempt is tried again from then on.
    public var notBefore: Date?
    public var lastCallId: String?
    public var lastHangupCode: HangupCode?
    public var createdAt: Date
    public var updatedAt: Date

    /// Whether it waits for its turn at `now`.
    func isDue(at now: Date) -> Bool { status == .PENDING && (notBefore ?? .distantPast) <= now }
}
