import ContactCenter
import Foundation
import JSON

/// Every schema a REST body is checked against before it is decoded.
let schemas: [Schema] = [
    ContactCenter.agentRequestSchema, ContactCenter.agentStatusSchema, ContactCenter.queueAssignSchema,
    ContactCenter.awayMessageSchema, ContactCenter.callTimeoutsSchema, ContactCenter.externalNumberTransferSchema,
    ContactCenter.transferStrategySchema, ContactCenter.conversationSchema, ContactCenter.patchConversationSchema,
    ContactCenter.assigneeSchema, ContactCenter.holdConfigSchema, ContactCenter.createMessageSchema,
    ContactCenter.createQueueSchema, ContactCenter.updateQueueSchema, ContactCenter.accountRecordingSchema,
    ContactCenter.agentRecordingSchema, ContactCenter.sipTrunkSchema, ContactCenter.waitingStrategySchema,
    ContactCenter.holidaySchema, ContactCenter.accountWrapUpSchema, ContactCenter.agentWrapUpSchema,
    AudioSchemas.periodicAnnouncement, AudioSchemas.musicWithDefault,
]

/// A REST request body: parsed as JSON (its compact text must read back as the same value), then
/// validated against every body schema; each violation must name a field and say what is wrong
/// with it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESTBody(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let value = JSONValue.parse(Data(bytes)) else { return 0 }
    if JSONValue.parse(value.compactText) != value {
        fatalError("\(value) written as \(value.compactText.debugDescription) reads back differently")
    }
    for schema in schemas {
        for violation in schema.validate(value) where violation.message.isEmpty {
            fatalError("a violation without a message at '\(violation.field)'")
        }
    }
    return 0
}
