@role-sync-owner @sut-faults
Feature: The owner system under test goes down and comes back
  An owner system that is stopped or frozen must not leave the initiator waiting without an answer:
  the gateway answers with a fault naming the cause - SCE009 when the owner cannot be reached
  (Appendix 1 section 2.1), SCE008 when it does not answer within the 30 seconds of Appendix 2
  table 1 - and journals the owner's failure. Once the owner is back, its service is answered again
  without anything being re-registered (R-49). Only a system in a container is stopped and paused,
  through the Docker engine: a system at a URL runs outside the harness, and the in-process sample of
  a demonstration cannot be frozen, so these scenarios run only with --sut-image.

  Background:
    Given the gateway runs with the timing limits of the Rules
    And the system "INITIATOR_SYS" is registered with the password "init-secret"
    And the owner system under test serves "SUT_SERVICE" on the synchronous channel
    And "INITIATOR_SYS" is granted access to "SUT_SERVICE"
    And the owner system under test answers a request the gateway signed

  @A1-P4 @R-49 @R-53 @A2-T1
  Scenario: A stopped owner system gets the initiator fault SCE009, and is answered again once restarted
    Given the owner system under test of "SUT_SERVICE" is stopped
    When "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the initiator receives a fault with code "SCE009"
    And the fault cites "A1-P4"
    And the journal records that the owner failed with code "SCE009" and rule "A1-P4"
    And the journal records the exchange as "FAULT" with code "SCE009" and rule "A1-P4"
    When the owner system under test of "SUT_SERVICE" is started again and reports healthy
    And "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the initiator receives the owner's answer
    And the journal records the exchange as "ANSWERED"
    And the journal shows the owner's processing time within 30 seconds

  @A2-T1 @A1-P4 @R-53
  Scenario: A frozen owner system runs into the 30-second limit with fault SCE008, and is answered again once it resumes
    Given the owner system under test of "SUT_SERVICE" is paused
    When "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the initiator receives a fault with code "SCE008"
    And the fault cites "A2-T1 row 1"
    And the journal records that the owner failed with code "SCE008" and rule "A2-T1 row 1"
    And the journal shows the owner's processing time of at least 30 seconds
    When the owner system under test of "SUT_SERVICE" resumes
    And "INITIATOR_SYS" sends a request to "SUT_SERVICE" with the data "<request><uin>990101300123</uin></request>"
    Then the initiator receives the owner's answer
    And the journal records the exchange as "ANSWERED"
    And the journal shows the owner's processing time within 30 seconds
