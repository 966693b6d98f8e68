@role-sync-owner @A1-P4
Feature: The agency's system as the owner of a service on the synchronous channel
  The system under test owns a service: the gateway routes SendMessage to it, signed with the
  gateway's certificate, carrying the gateway's sessionId and the initiator's business data. It
  answers valid against the channel's schema (A1-T20), signed with its own certificate and BIN
  (R-59, R-54), within the 30 seconds of Appendix 2 table 1, and serves nothing the gateway did not
  sign (A6-S1). Each scenario first makes sure the system answers what the gateway signed: a refusal
  from an owner that answers nothing proves nothing.

  Background:
    Given the gateway runs with the timing limits of the Rules
    And the system "INITIATOR_SYS" is registered with the password "init-secret"
    And the owner system under test serves "SUT_SERVICE" on the synchronous channel
    And "INITIATOR_SYS" is granted access to "SUT_SERVICE"
    And the owner system under test answers a request the gateway signed

  @A1-T20 @R-59 @A2-T1 @R-22
  Scenario: The owner system under test answers a valid request through the gateway
    When "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the initiator receives the owner's answer
    And the answer carries the gateway's sessionId
    And the journal records the exchange as "ANSWERED"
    And the journal shows the owner's processing time within 30 seconds

  @A1-T20
  Scenario: The answer of the owner system under test is valid against the schema of A1-T20
    Given the hop from the gateway to the owner system under test is recorded
    When "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the owner system under test answered valid against the synchronous channel schema
    And the initiator receives the owner's answer

  @R-59 @R-54 @R-22
  Scenario: The owner system under test signs its answer with its own certificate
    Given the hop from the gateway to the owner system under test is recorded
    When "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the owner system under test signed its answer with its own certificate and BIN
    And the journal records the exchange as "ANSWERED"

  @A1-T19 @R-61
  Scenario: The request reaches the owner system under test with the gateway's sessionId and the business data
    Given the hop from the gateway to the owner system under test is recorded
    When "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the owner system under test received the gateway's sessionId in the request
    And the owner system under test received the business data unaltered
    And the initiator receives the owner's answer

  @R-59 @A6-S1
  Scenario: The owner system under test refuses a request that the gateway did not sign
    When a request that the gateway did not sign is sent straight to the owner of "SUT_SERVICE"
    Then the owner system under test refuses it with a SOAP fault
