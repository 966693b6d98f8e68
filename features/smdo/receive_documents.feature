@role-smdo-receiver
Feature: The agency's СЭД receives documents through the SMDO router
  The receiving thread of the СЭД asks the router for new packages every 5 minutes, takes the list,
  downloads the files of each document and confirms each package it took: only a confirmed package
  counts as received, and the router keeps offering one that is not. A document that asks for
  acknowledgement is answered with a delivery notice and then a registration notice: registered, or
  its refusal when the system refuses to register the document. The harness's
  counterpart sends the system under test documents through the simulated router, the system runs
  its receiving thread, and the harness judges from what the router saw.

  Background:
    Given the SMDO router runs with a counterpart subscriber
    And the system under test is a subscriber of the router with its certificate and client credentials

  @SMDO-CONFIRM @SMDO-ACK @SMDO-TOKEN
  Scenario: A document with two files is taken, confirmed and answered with both notices
    Given the counterpart sent the system under test a document with 2 files, asking for acknowledgement
    When the system under test runs its receiving thread for 2 poll periods
    Then the system under test got its token with HTTP Basic and sent it as Bearer on every call
    And the system under test downloaded every file of the counterpart's documents
    And the system under test confirmed every package it was offered, and none stayed listed
    And the system under test answered the document with a delivery notice and then a registration notice

  @SMDO-ACK
  Scenario: A document the system refuses to register is answered with a refusal
    Given the counterpart sent the system under test a document with 1 file, asking for acknowledgement
    When the system under test runs its receiving thread for 2 poll periods, refusing to register what it takes
    Then the system under test answered the document with a delivery notice and then a registration notice refusing it

  @SMDO-CONFIRM
  Scenario: Every package taken is confirmed and not offered again
    Given the counterpart sent the system under test 3 documents with 1 file each
    When the system under test runs its receiving thread for 3 poll periods
    Then the system under test downloaded every file of the counterpart's documents
    And the system under test confirmed every package it was offered, and none stayed listed

  @SMDO-POLL
  Scenario: The receiving thread asks for new packages every 5 minutes, not more often
    When the system under test runs its receiving thread for 3 poll periods
    Then the system under test asked for new packages at least twice, never sooner than 5 minutes after the previous time
