import ContactCenter
import Foundation
import Media
import SDP
import SignalingFrames

/// Carrying out what a session asked for. Results that took an await go back to the session as
/// inputs with the epoch they were asked under.
extension CallCenter {
    func execute(_ effect: CallEffect, callId: String) async {
        switch effect {
        case .reserveAgent(let queueId, let excluding, let epoch):
            await reserveAgent(callId, queueId: queueId, excluding: excluding, epoch: epoch)
        case .releaseAgent(let agentId):
            await contactCenter.registry.release(agentId: agentId, from: callId)
            dispatchAfterDrain = true
        case .prepareCallee(let target, let epoch):
            await prepareCallee(callId, target: target, epoch: epoch)
        case .offer(let identity, let epoch):
            await offer(callId, to: identity, epoch: epoch)
        case .closeCalleeLeg(let epoch):
            guard let state = mediaStates[callId], let callee = state.callee, callee.epoch == epoch else { return }
            mediaStates[callId]?.callee = nil
            // A number transferred to that did not answer is not the callee's phone any more.
            mediaStates[callId]?.transferPhone = nil
            state.graph.detach(CallSide.callee.legName)
        case .bridge:
            guard let graph = mediaStates[callId]?.graph else { return }
            do { try await graph.connect(CallSide.caller.legName, CallSide.callee.legName) } catch {
                await input(callId, .bridgeFailed(reason: "\(error)"))
            }
        case .holdMedia(let held):
            mediaStates[callId]?.graph.setHeld(held, connectionOf: CallSide.caller.legName)
        case .prepareWaiting:
            await prepareWaiting(callId)
        case .play(.hold, let side):
            await playHoldMusic(callId, to: side)
        case .play(.transfer, let side):
            let plan = (try? await contactCenter.transferPlan()) ?? .defaultMusic
            let program = await audioLibrary.program(for: plan)
            mediaStates[callId]?.graph.play(program, to: side.legName)
        case .exchangeSides(let epoch):
            exchangeSides(callId, epoch: epoch)
        case .setAsideCallee:
            guard let state = mediaStates[callId], let callee = state.callee else { return }
            state.graph.rename(CallSide.callee.legName, to: Self.transferorLeg)
            mediaStates[callId]?.transferor = callee.media
            mediaStates[callId]?.callee = nil
        case .restoreTransferor(let epoch):
            guard let state = mediaStates[callId], let leg = state.transferor else { return }
            state.graph.rename(Self.transferorLeg, to: CallSide.callee.legName)
            mediaStates[callId]?.callee = (epoch, leg)
            mediaStates[callId]?.transferor = nil
            watch(leg, callId: callId, side: .callee, epoch: epoch)
        case .moveConversation(let queueId):
            guard let conversationId = sessions[callId]?.record.conversationId else { return }
            // PATCH semantics: only the queue changes.
            _ = try? await contactCenter.updateConversation(
                conversationId, .object(["queueId": .string(queueId)]), replace: false, by: .integration)
        case .closeTransferor:
            guard let state = mediaStates[callId], state.transferor != nil else { return }
            state.graph.detach(Self.transferorLeg)
            mediaStates[callId]?.transferor = nil
        case .play(let sound, let side):
            guard let state = mediaStates[callId], let sounds = state.waitingSounds else { return }
            switch sound {
            case .waiting:
                state.graph.play(sounds.waiting, to: side.legName, onInterruption: announcementReporter(callId: callId))
            case .maximumWaitMessage:
                guard let message = sounds.maximumWaitMessage else { return }
                state.graph.play(.once(message), to: side.legName)
            case .awayMessage:
                guard let message = sounds.awayMessage else { return }
                state.graph.play(.once(message), to: side.legName)
            case .callbackConfirmation:
                guard let message = sounds.callbackConfirmation else { return }
                state.graph.play(.once(message), to: side.legName)
            case .hold, .transfer:
                break
            }
        case .stopPlaying(let side):
            mediaStates[callId]?.graph.stop(playingTo: side.legName)
        case .notify(let identity, let notification):
            await notify(identity, notification, callId: callId)
        case .phone(let command):
            await phone(command, callId: callId)
        case .persist(let record):
            do { try await saveRecord(record) } catch {
                logger.error("call record not saved", metadata: ["callId": "\(callId)", "error": "\(error)"])
            }
        case .agentMissedOffer(let agentId):
            await missedOffer(agentId)
        case .agentAnswered(let agentId, let assign):
            missedOffers[agentId] = nil
            try? await contactCenter.callStarted(agentId: agentId)
            await contactCenter.registry.release(agentId: agentId, from: callId)
            if assign, let conversationId = sessions[callId]?.record.conversationId {
                _ = try? await contactCenter.assign(
                    conversationId, .object(["agentId": .string(agentId)]), by: .integration)
            }
        case .agentCallEnded(let agentId):
            lastCallEnded[agentId] = clock.now()
            // A free agent (no wrap-up) is published ACTIVE, which offers waiting calls.
            try? await contactCenter.callEnded(agentId: agentId)
        case .requestCallback(let record, let keys):
            await requestCallback(callId: callId, record: record, keys: keys)
        case .callCallerBack(let epoch):
            await callCallerBack(callId, epoch: epoch)
        case .callbackAttempted(let reached, let code):
            await callbackAttempted(callbackCalls[callId], callId: callId, reached: reached, code: code)
        case .prepareConsultee, .connectConsultee, .mergeConsultee, .closeConsultee, .promoteConsultee,
            .assignConversation:
            await execute(consultation: effect, callId: callId)
        case .prepareMonitor(let supervisor):
            await prepareMonitor(callId, supervisor)
        case .joinMonitor(let supervisor, let mode, let agent):
            await joinMonitor(callId, supervisor, mode, agent: agent)
        case .dropMonitor(let supervisor):
            dropMonitor(callId, supervisor)
        case .recording(let cue):
            await recording(cue, callId: callId)
        case .finish:
            stopRecording(callId)
            referring[callId] = nil
            mediaStates.removeValue(forKey: callId)?.graph.close()
        }
    }

    /// The customer's leg becomes the caller's and the agent's the callee's (an outbound call
    /// turned round): the legs report under their new sides, and the phone is the caller's.
    private func exchangeSides(_ callId: String, epoch: Int) {
        guard var state = mediaStates[callId], let callee = state.callee else { return }
        let (customer, agent) = (callee.media, state.callerMedia)
        state.callerMedia = customer
        state.callee = (epoch, agent)
        state.phone?.isCallee = false
        mediaStates[callId] = state
        watch(customer, callId: callId, side: .caller, epoch: 0)
        watch(agent, callId: callId, side: .callee, epoch: epoch)
        state.graph.exchange(
            CallSide.caller.legName, CallSide.callee.legName,
            digits: (
                dtmfReporter(callId: callId, side: .caller, epoch: 0),
                dtmfReporter(callId: callId, side: .callee, epoch: epoch)
            ))
    }

    /// Counts an offer the agent let ring out; at the limit the agent is set AWAY, so callers are
    /// not rung at an empty desk.
    private func missedOffer(_ agentId: String) async {
        guard maxMissedOffers > 0 else { return }
        let missed = missedOffers[agentId, default: 0] + 1
        guard missed >= maxMissedOffers else {
            missedOffers[agentId] = missed
            return
        }
        missedOffers[agentId] = nil
        logger.notice(
            "agent set AWAY after unanswered offers", metadata: ["agentId": "\(agentId)", "missed": "\(missed)"])
        try? await contactCenter.setAway(agentId, reason: "Did not answer \(missed) call offers in a row.")
    }

    /// Finds the call's waiting strategy and encodes (or takes from the library) what it plays:
    /// SENDER conditions are matched with the number called (a phone caller) or the call's
    /// `customData.applicationId` (default `conversations`, a WebRTC caller).
    private func prepareWaiting(_ callId: String) async {
        guard let session = sessions[callId], let state = mediaStates[callId] else { return }
        let (calledType, called) =
            state.phone != nil
            ? ("PSTN", state.customData["calledNumber"]?.stringValue ?? "")
            : ("WEBRTC", state.customData["applicationId"]?.stringValue ?? "conversations")
        let plan: WaitingPlan?
        do {
            plan = try await contactCenter.waitingPlan(
                queueId: session.record.queueId, calledType: calledType, called: called)
        } catch {
            logger.error("waiting strategy not read", metadata: ["callId": "\(callId)", "error": "\(error)"])
            plan = nil
        }
        guard let plan else {
            await input(callId, .waitingReady(nil))
            return
        }
        let sounds = await audioLibrary.sounds(for: plan, position: queuePositions()[callId] ?? 1)
        mediaStates[callId]?.waitingSounds = sounds
        var limits = WaitingLimits(
            maximumWaitSeconds: plan.maximumWaitSeconds,
            maximumWaitMessageSeconds: sounds.maximumWaitMessage?.seconds ?? 0)
        if sounds.waiting.interruption != nil || plan.announcementIntervalSeconds == 0 {
            limits.callbackCodes = plan.callbackCodes
        }
        limits.collectSeconds = plan.collectSeconds.map(Double.init) ?? .infinity
        limits.collectsFromStart = plan.announcementIntervalSeconds == 0
        limits.callbackConfirmationSeconds = sounds.callbackConfirmation?.seconds ?? 0
        await input(callId, .waitingReady(limits))
    }

    /// Plays the hold configuration of the call's queue to a held party (the gateway's own music
    /// when the queue has none).
    private func playHoldMusic(_ callId: String, to side: CallSide) async {
        let queueId = sessions[callId]?.record.queueId
        let plan = (try? await contactCenter.holdPlan(queueId: queueId)) ?? .defaultMusic
        let program = await audioLibrary.program(for: plan)
        mediaStates[callId]?.graph.play(program, to: side.legName)
    }

    /// Makes the callee's leg and its offer: a WebRTC leg for a party on signaling, an RTP leg
    /// for a phone (dialled once the session says so).
    private func prepareCallee(_ callId: String, target: String, epoch: Int) async {
        guard let state = mediaStates[callId], let session = sessions[callId] else { return }
        let eventLoop = state.callerMedia.eventLoop
        let made: MediaLeg
        let offer: String
        do {
            if let phone = state.calleePhone, session.calleeKind == .phone {
                let leg = try await media.makeRTPLeg(
                    on: eventLoop, range: phone.trunk.rtpPortRange.flatMap(ContactCenter.portRange),
                    srtp: phone.trunk.encryptsMedia)
                made = .rtp(leg)
                offer =
                    PlainRTPDescriptionBuilder.offer(
                        address: leg.address, port: leg.port, preference: phone.preference,
                        sessionId: UInt64.random(in: 1...UInt64(Int64.max)), localKey: leg.sdesKey
                    ).text
            } else {
                let leg = try await media.makeLeg(on: eventLoop)
                made = .webRTC(leg)
                offer =
                    WebRTCDescriptionBuilder.offer(
                        local: leg.local, sessionId: UInt64.random(in: 1...UInt64(Int64.max)), video: state.video,
                        narrowbandOpus: state.phone != nil
                    ).text
            }
        } catch {
            // A number transferred to whose leg could not be made is not the callee's phone.
            mediaStates[callId]?.transferPhone = nil
            await input(callId, .calleeFailed(reason: "\(error)", epoch: epoch))
            return
        }
        let timeouts = (try? await contactCenter.callTimeouts()) ?? .null
        guard mediaStates[callId] != nil else { return made.close() }
        // Attaching replaces (and closes) the leg of an earlier attempt.
        state.graph.attach(
            CallSide.callee.legName, made, onDTMF: dtmfReporter(callId: callId, side: .callee, epoch: epoch))
        mediaStates[callId]?.callee = (epoch, made)
        mediaStates[callId]?.offerSDP = offer

        watch(made, callId: callId, side: .callee, epoch: epoch)
        let seconds: Int
        if session.calleeKind == .phone {
            seconds = Int(timeouts["outbound"]?.intValue ?? 45)
        } else {
            seconds = Int((session.customerIsCaller ? timeouts["inbound"] : timeouts["outbound"])?.intValue ?? 30)
        }
        await input(callId, .calleeReady(ringSeconds: seconds, epoch: epoch))
    }

    /// Sends `call.incoming` to the callee's sessions.
    private func offer(_ callId: String, to identity: String, epoch: Int) async {
        guard let state = mediaStates[callId], let session = sessions[callId], let sdp = state.offerSDP else { return }
        let delivered = await signaling.send(
            .incoming(
                callId: callId, conversationId: session.record.conversationId, sdp: sdp, counterpart: session.caller,
                customData: state.customData, video: state.video,
                offer: await offerDetails(session, transferredBy: session.transfer?.from)), to: identity)
        if delivered == 0 { await input(callId, .offerUndelivered(epoch: epoch)) }
    }

    /// What an agent's desktop shows of a customer's call it is offered: who calls and how (a phone
    /// number or an in-app identity), the queue, how long the caller has waited, and the agent
    /// who transferred it (or consults it, for an attended transfer). Null for an agent's outbound
    /// call (until it turns round to be transferred).
    func offerDetails(_ session: CallSession, transferredBy: String?) async -> JSONValue {
        guard session.customerIsCaller else { return .null }
        var details: [String: JSONValue] = [
            "caller": .string(session.caller),
            "callerType": .string(session.callerKind == .phone ? "PHONE" : "WEBRTC"),
            "waitedSeconds": .int(Int64(max(0, clock.now().timeIntervalSince(session.record.createdAt)))),
        ]
        if let queueId = session.record.queueId {
            details["queueId"] = .string(queueId)
            if let queue = try? await contactCenter.queue(queueId) { details["queueName"] = .string(queue.name) }
        }
        if let from = transferredBy {
            var agent: [String: JSONValue] = ["agentId": .string(from)]
            if let view = try? await contactCenter.agent(from) {
                agent["displayName"] = .string(view.agent.displayName)
            }
            details["transferredFrom"] = .object(agent)
        }
        return .object(details)
    }

    private func notify(_ identity: String, _ notification: CallNotification, callId: String) async {
        switch notification {
        case .ringing: await signaling.send(.ringing(callId: callId), to: identity)
        case .queued: await signaling.send(.queued(callId: callId), to: identity)
        case .earlyMedia: await signaling.send(.earlyMedia(callId: callId), to: identity)
        case .established: await signaling.send(.established(callId: callId), to: identity)
        case .held(let held): await signaling.send(.held(callId: callId, held: held), to: identity)
        case .transfer(let state, let code):
            await signaling.send(.transfer(callId: callId, state: state, errorCode: code), to: identity)
            await reportRefer(callId, state, code)
        case .dtmf(let digit): await signaling.send(.dtmf(callId: callId, digit: String(digit)), to: identity)
        case .hangup(let code): await tell(identity, .hangup(callId: callId, errorCode: code))
        }
    }

    /// Sends a `call.hangup`, or keeps it for the party's next connection.
    private func tell(_ identity: String, _ frame: CallFrame) async {
        guard await signaling.send(frame, to: identity) == 0 else { return }
        var kept = undelivered[identity] ?? []
        kept.append((clock.now(), frame))
        undelivered[identity] = Array(kept.suffix(10))
    }

    private func phone(_ command: PhoneCommand, callId: String) async {
        guard let network = phoneNetwork else { return }
        switch command {
        case .dial:
            guard let phone = mediaStates[callId]?.calleePhone, let sdp = mediaStates[callId]?.offerSDP else { return }
            await network.dial(
                callId: phone.dialogId ?? callId, trunk: phone.trunk, to: phone.number, callerId: phone.callerId,
                sdp: sdp)
        case .ringing:
            await network.ringing(callId: callId)
        case .answer:
            guard let sdp = mediaStates[callId]?.callerPhone?.answerSDP else { return }
            await network.answer(callId: callId, sdp: sdp)
        case .reject(let status, let reason):
            await network.reject(callId: callId, status: status, reason: reason)
        case .hangup(let code, let side):
            let state = mediaStates[callId]
            let phone = side == .callee ? state?.calleePhone : state?.callerPhone
            await network.hangup(callId: phone?.dialogId ?? callId, reason: code)
        case .hold(let held):
            await holdPhone(callId, held: held)
        }
    }
}
