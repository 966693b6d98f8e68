@role-sync-initiator @A1-P4
Feature: The system under test as an initiator on the synchronous channel
  An agency's system calls other agencies' services through the gateway's synchronous channel. It
  sends SendMessage as Appendix 1 table 19 describes it, with its registered senderId and password,
  a messageId of its own for every message and its own transport signature; it takes an answer only
  when the gateway signed it (Appendix 6, scenario 1), and a fault or an HTTP error never makes it
  send a messageId again. The harness makes it send through its trigger, with a wire tap in front of
  the gateway, and judges what travelled from the tap, the gateway's journal and what the reference
  owner received - never from the system's word alone.

  Background:
    Given the gateway runs with the timing limits of the Rules
    And the owner system "PARTNER_OWNER" serves "PARTNER_SERVICE" on the synchronous channel
    And the system under test is registered with the gateway as an initiator
    And the system under test is granted access to "PARTNER_SERVICE"
    And the system under test reaches the gateway through a wire tap

  @A1-T19 @R-53 @R-54 @R-59 @R-61 @A1-T20
  Scenario: The initiator sends a request that the gateway accepts and routes
    When the system under test is made to send "<request><uin>990101300123</uin></request>" to "PARTNER_SERVICE"
    Then the request on the wire is valid against the synchronous channel schema
    And the request on the wire carries a messageId and a messageDate
    And the request on the wire carries the transport signature of the system under test
    And the journal records the initiator's exchange as "ANSWERED" from the system under test
    And the gateway checked the initiator's transport signature against its certificate and BIN
    And the owner received the request of the system under test with the business data "<request><uin>990101300123</uin></request>"
    And the system under test reports the owner's answer

  @R-61 @A1-T19
  Scenario: Every message of the initiator carries a messageId of its own
    When the system under test is made to send "<request>first</request>" to "PARTNER_SERVICE"
    And the system under test is made to send "<request>second</request>" to "PARTNER_SERVICE"
    Then no messageId of the system under test reached the gateway twice
    And the journal records the initiator's exchange as "ANSWERED" from the system under test
    And the owner received the request of the system under test with the business data "<request>second</request>"

  @A6-S1 @R-59
  Scenario: The initiator refuses an answer that the gateway did not sign
    Given the wire tap takes the gateway's signature off the answers
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then the journal records the initiator's exchange as "ANSWERED" from the system under test
    And the system under test refuses the answer

  @A6-S1 @R-53
  Scenario: The initiator refuses an answer altered after the gateway signed it
    Given the wire tap alters the answers after the gateway signed them
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then the journal records the initiator's exchange as "ANSWERED" from the system under test
    And the system under test refuses the answer

  @A6-S1 @R-58
  Scenario: The initiator refuses a signature wrapping attack on the answer
    Given the wire tap wraps the gateway's signed answers around a forged body
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then the journal records the initiator's exchange as "ANSWERED" from the system under test
    And the system under test refuses the answer

  @A6-S1 @R-54
  Scenario: The initiator refuses an answer signed by another system instead of the gateway
    Given the wire tap signs the answers as "PARTNER_OWNER" instead of the gateway
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then the journal records the initiator's exchange as "ANSWERED" from the system under test
    And the system under test refuses the answer

  @R-61 @A1-T21 @R-6
  Scenario: After a fault of the gateway the initiator sends a new messageId
    When the system under test is made to send "<request>probe</request>" to "UNKNOWN_SERVICE"
    Then the journal records the initiator's exchange as "REJECTED" with code "SCE004" from the system under test
    And the system under test did not send that messageId again
    And the system under test reports the fault "SCE004"
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then no messageId of the system under test reached the gateway twice
    And the system under test reports the owner's answer

  @R-61 @A1-T21
  Scenario: After the owner's fault the initiator sends a new messageId
    Given the owner answers "PARTNER_SERVICE" with the fault "OWNER-404" "Record not found"
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then the system under test did not send that messageId again
    And the journal records the initiator's exchange as "FAULT" with code "OWNER-404" from the system under test
    And the system under test reports the fault "OWNER-404"
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then no messageId of the system under test reached the gateway twice
    And the system under test reports the fault "OWNER-404"

  @R-61 @A1-T21 @A2-T1
  Scenario: After the gateway's 30 s timeout the initiator sends a new messageId
    Given the owner answers "PARTNER_SERVICE" after 31 seconds
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then the system under test did not send that messageId again
    And the journal records the initiator's exchange as "FAULT" with code "SCE008" from the system under test
    And the system under test reports the fault "SCE008"
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then no messageId of the system under test reached the gateway twice

  @R-61
  Scenario: After an HTTP error the initiator sends a new messageId
    Given the wire tap answers the next request with HTTP 503
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then the system under test did not send that messageId again
    And the system under test reports a failure
    When the system under test is made to send "<request>probe</request>" to "PARTNER_SERVICE"
    Then no messageId of the system under test reached the gateway twice
    And the journal records the initiator's exchange as "ANSWERED" from the system under test
    And the system under test reports the owner's answer
