import SIPMessage

/// What a transaction asks of its user (the transport layer and the transaction user).
public enum TransactionOutput: Sendable {
    /// Send these bytes to the transaction's peer (a request, its retransmission, an ACK or a response).
    case send([UInt8])
    /// Client: a response for the transaction user (retransmissions are absorbed).
    case response(SIPMessage)
    /// Client: Timer B or F fired. Server: Timer H fired (no ACK for a non-2xx final response).
    case timeout
}
