# sehat web app — English (India). Adding a language is adding one file like this one, at
# locales/<language tag>/main.ftl, with every message below translated.

language-name = English
language-switch = Language
skip-to-content = Skip to content
nav-label = Main
nav-find = Find a centre
nav-family = My family
nav-login = Log in
nav-verify = Verify a certificate
footer-text = sehat — open-source public health services. Your data is used only to book and record your vaccinations.
footer-api-docs = For developers: the APIs
back-home = Back to the home page

## Dates

weekday-1 = Mon
weekday-2 = Tue
weekday-3 = Wed
weekday-4 = Thu
weekday-5 = Fri
weekday-6 = Sat
weekday-7 = Sun
month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec

## Home and search

home-title = Find a vaccination centre
home-heading = Get vaccinated near you
home-lead = Find a centre, book a slot for your family, and download your certificate.
home-by-pincode = Search by pincode
home-by-district = Search by district
home-choose-state = Choose a state
home-show-districts = Show districts
home-search = Search
home-near-me = Centres near me
home-near-me-text = Uses your phone's location once, to list the nearest centres. It is not stored.
home-use-location = Use my location
home-near-me-failed = Your location is not available. Search by pincode or district instead.
find-near-me = Centres near you
find-in-pincode = Centres in pincode { $pincode }
find-in-district = Centres in { $district }
find-distance = { $km } km away
find-no-seats = —
find-nothing = No centre here has open seats in the next 7 days. Try a nearby pincode or your district.
find-search-again = Search again
find-count = { $count ->
    [one] 1 centre
   *[other] { $count } centres
} with sessions in the next 7 days
find-seats-caption = Seats open each day

## A centre

centre-ages-range = Age { $min }–{ $max }
centre-ages-from = Age { $min }+
centre-free = Free
centre-live = Seat counts update live.
centre-weeks = Other weeks
centre-earlier = Earlier
centre-later = Next 7 days
centre-no-sessions = No sessions this day.
centre-dose1 = Dose 1
centre-dose2 = Dose 2
centre-who = Who is coming?
centre-next-dose = next: dose { $dose }
centre-choose-slot = Time slot
centre-book = Book
centre-login-to-book = Log in to book a slot here.
centre-add-member-first = Add a family member first, then book.
centre-moving = Choose the new session and time slot for your appointment.
centre-move-here = Move my appointment here

## Login

login-title = Log in with your mobile number
login-intro = We send a one-time password (OTP) by SMS. Your family's members are kept under this number.
desk-login-title = Vaccinator login
desk-login-intro = Log in with the mobile number of your vaccinator post.
login-send-otp = Send OTP
login-otp-sent = We have sent a 6-digit OTP to your mobile. It is valid for 3 minutes.
login-sandbox-otp = Demo mode: your OTP is { $otp }
login-confirm = Log in
login-start-again = Use another number, or send a new OTP
logout = Log out

## Family

family-title = My family
family-empty = Nobody is registered under this number yet. Add yourself and your family below.
family-member-details = Born { $year } · { $gender } · Ref. ID { $ref }
family-doses = Doses received
family-dose-line = Dose { $dose }: { $vaccine }, { $date }
family-certificate = Download certificate (PDF)
family-appointments = Appointments
family-appointment-line = Dose { $dose }, { $vaccine }
family-slip = Appointment slip (PDF)
family-reschedule = Reschedule
family-cancel = Cancel appointment
family-find-centre = Find a centre and book
family-remove = Remove from my family
family-remove-confirm = Remove { $name } from this mobile number? Their records stay with the centres that vaccinated them.
family-remove-button = Remove
family-add = Add a family member
family-add-button = Add member
family-full = This number already has the most members it may register.
status-vaccinated = Vaccinated
status-partially = Partially Vaccinated
status-not-vaccinated = Not Vaccinated
appointment-active = Booked
appointment-cancelled = Cancelled
appointment-completed = Done
gender-1 = Male
gender-2 = Female
gender-3 = Other

## Form fields

field-pincode = Pincode
field-state = State
field-district = District
field-district_id = District
field-mobile = Mobile number
field-otp = OTP
field-name = Full name (as on the photo ID)
field-birth_year = Year of birth
field-gender_id = Gender
field-photo_id_type = Photo ID
field-photo_id_number = Photo ID number
field-comorbidity = Has a long-term illness (comorbidity)
field-consent = I agree that sehat keeps these details to book and record vaccinations.
field-dose = Dose
field-lat = Location
field-slot = Time slot
field-session_id = Session
field-beneficiaries = People to book for
field-mobile_number = Mobile number
field-consent_version = Consent

## What went well

notice-logged-out = You have logged out.
notice-member-added = Family member added.
notice-member-removed = Family member removed.
notice-booked = Booked. Download the appointment slip below and bring a photo ID.
notice-rescheduled = Your appointment has moved.
notice-cancelled = Your appointment is cancelled and the seat is free for others.

## What went wrong, and what to do next

error-title = Something went wrong
error-other = That did not work: { $detail }. Please try again.
error-csrf = This form has expired. Go back, reload the page and send it again.
not-found-title = Not found
not-found-text = This page does not exist, or it is not yours to see.
error-SEHAT0400 = Please check “{ $field }” and try again.
error-SEHAT0401 = Please log in again: your session has ended.
error-SEHAT0404 = We could not find that. It may have been removed.
error-SEHAT0409 = That changed while you were looking. Reload the page and try again.
error-SEHAT0429 = Too many requests from your connection. Wait a minute and try again.
error-SEHAT0500 = Something went wrong on our side. Please try again in a little while.
error-SEHAT0503 = The service is busy. Please try again in a minute.
error-APPOIN0006 = That centre does not exist.
error-APPOIN0015 = This centre has no session today.
error-APPOIN0040 = This slot has just been fully booked. Choose another slot or day.
error-APPOIN0041 = This session is closed. Choose another day.
error-APPOIN0042 = This session is in the past. Choose a day from today on.
error-APPOIN0043 = This session is not for the age of someone you chose. Choose a session for their age.
error-APPOIN0044 = The captcha answer was wrong. Try again.
error-APPOIN0045 = Someone you chose already has an appointment for this dose. Reschedule or cancel it first.
error-APPOIN0046 = That slot does not belong to this session. Choose again.
error-APPOIN0047 = This request was already sent with other details. Reload the page.
error-APPOIN0048 = There are no walk-in seats left today.
error-USRAUT0002 = The OTP is not correct. Check the SMS and type it again.
error-USRAUT0003 = The OTP has expired. Ask for a new one.
error-USRAUT0004 = Too many wrong OTPs. Ask for a new one.
error-USRAUT0005 = Too many OTPs were asked for this number. Wait a while before asking again.
error-USRAUT0006 = Those details do not match our records.
error-USRAUT0007 = Too many tries. Wait an hour and try again.
error-USRAUT0008 = This app is not allowed to connect.
error-USRAUT0009 = This number holds no active vaccinator post. Ask your district administrator.
error-USRRES0010 = This mobile number already has the most members it may register.
error-USRRES0011 = This photo ID is already registered. Each person registers once.
error-USRRES0012 = This person has an upcoming appointment. Cancel it first.
error-VACCIN0001 = The earlier dose is not recorded yet. Record or book the earlier dose first.
error-VACCIN0002 = It is too early for this dose. Choose a later day.
error-VACCIN0003 = This dose is already recorded.
error-VACCIN0004 = This dose must be of the same vaccine as the earlier one.
error-VACCIN0005 = There is no appointment or walk-in seat to record this dose against.
error-VACCIN0006 = This certificate has been replaced by a newer one.
error-VACCIN0007 = You hold no post at this centre.
error-VACCIN0008 = This is not a certificate that can be read. Check that it is the whole PDF, or scan the QR code again.
