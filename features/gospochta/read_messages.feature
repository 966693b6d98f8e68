@role-gospochta-reader
Feature: The agency's system reads its organisation's Gospochta
  The published reading API of the state e-mail system (GEPS API v1.0, through the EPGU proxy):
  with ESIA's token for its API key, an organisation's head or administrator orders a search over at
  most one day, no more than 30 days back and not into the future; the list is prepared
  asynchronously and fetched in pages of up to 1000; opening a message's card marks it read, which
  is its legal delivery; attachments come with their signature. A day allows 5 searches and 15
  result fetches. The harness puts notices in the organisation's mailbox, makes the system under
  test read them through its trigger and judges from what the simulated API received. The list
  is prepared in 2 minutes rather than the published hour.

  Background:
    Given the Gospochta contour runs with its recipients

  @GP-R-AUTH @GP-R-ROLE @GP-R-RANGE @GP-R-TASK @GP-R-PAGE @GP-R-CARD @GP-R-LEGAL @GP-R-SIG @GP-R-QUOTA
  Scenario: The reader reads two days of notices in searches of a day at most
    Given the system under test is registered with the roles operator, head and client
    And the organisation's Gospochta holds 6 notices of yesterday and 4 of the day before
    When the system under test is made to read its Gospochta over the last 2 days
    Then the system under test got its token by its API key and sent it on every call
    And every search of the system under test covered at most a day, within 30 days and not in the future
    And the system under test kept within the day's 5 searches and 15 result fetches
    And the system under test fetched each search until it completed and paged through its total
    And the system under test opened every notice of the period, which fixed its legal delivery
    And the system under test took every downloadable attachment with its signature and verified it, and no deleted one
    And the system under test reported every notice it read

  @GP-R-QUOTA @GP-R-ERR
  Scenario: With the day's searches used up the reader stops at the first refusal
    Given the system under test is registered with the roles operator, head and client
    And the organisation's Gospochta holds 6 notices of yesterday and 4 of the day before
    And the organisation has used its searches of today
    When the system under test is made to read its Gospochta over the last 1 day
    Then Gospochta refused the system under test with 429 "search-messages.quota.exceeded"
    And the system under test made no request after the refusal and reported the read failed

  @GP-R-ROLE @GP-R-ERR
  Scenario: A reader who is neither head nor administrator is refused and says so
    Given the system under test is registered with the role operator only
    And the organisation's Gospochta holds 6 notices of yesterday and 4 of the day before
    When the system under test is made to read its Gospochta over the last 1 day
    Then Gospochta refused the system under test with 403 "access.denied"
    And the system under test made no request after the refusal and reported the read failed

  @GP-R-TASK
  Scenario: A search that ends in ERROR is not taken for an empty mailbox
    Given the system under test is registered with the roles operator, head and client
    And the organisation's Gospochta holds 6 notices of yesterday and 4 of the day before
    And Gospochta's next search for the organisation ends in ERROR
    When the system under test is made to read its Gospochta over the last 1 day
    Then the system under test either ordered the search again and reported every notice, or reported the read failed

  @GP-R-AUTH
  Scenario: A reader whose token has expired gets a new one by its API key
    Given the system under test is registered with the roles operator, head and client
    And the organisation's Gospochta holds 6 notices of yesterday and 4 of the day before
    When the system under test is made to read its Gospochta over the last 1 day
    And ESIA lets the tokens of the system under test expire
    And the system under test is made to read its Gospochta over the last 1 day
    Then after its token expired the system under test got a new one by its API key and read on
    And the system under test reported every notice it read
