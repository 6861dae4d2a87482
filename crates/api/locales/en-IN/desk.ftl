# sehat web app — the vaccinator's desk (/desk), English (India). Every message here is also in
# hi-IN/desk.ftl.

desk-nav-today = Today
desk-nav-find = Find a person
desk-nav-register = Register
desk-back = Back to today's list

## Today

desk-choose-title = Choose your centre
desk-choose-intro = You hold posts at several centres. Choose where you are working today.
desk-choose-for-dose = Choose the centre where you give this dose.
desk-today-title = Today at { $centre }
desk-today-list = Today's appointments
desk-today-empty = No appointments at this centre today. Walk-ins can be registered and vaccinated below.
desk-col-person = Person
desk-col-dose = Dose
desk-col-status = Status
desk-register-walk-in = Register a walk-in

## Finding a person

desk-find-title = Find a person
desk-find-hint = Type their 14-digit reference ID, or the 10-digit mobile number their family registered with.
desk-find-button = Find
desk-find-nobody = Nobody is registered with that. Check the number, or register them on the spot.
desk-register-on-mobile = Register someone new on this mobile number

## On-spot registration

desk-register-title = Register on the spot
desk-register-intro = Register a person who came without registering. Ask for their photo ID and their family's mobile number.
desk-consent = The person agrees that sehat keeps these details to record their vaccinations.
desk-register-button = Register

## A person

desk-person-heading = Person
desk-no-doses = No dose recorded yet.
desk-dose-line = Dose { $dose }: { $vaccine }, batch { $batch }, { $date }
desk-today-here = Today at { $centre }
desk-no-appointment = No appointment here today: a dose recorded without one takes a walk-in seat of today's session.
desk-appointment-line = { $slot }: dose { $dose }, { $vaccine } · { $status }
desk-record-heading = Record a dose
desk-choose-vaccine = Choose the vaccine
desk-vaccine-option = { $name } ({ $maker })
desk-record-button = Record the dose
desk-certificate-heading = Certificate
desk-qr-alt = QR code of the vaccination certificate
desk-qr-hint = Scan this code to check the certificate, or print this page.

## Form fields

field-who = Reference ID or mobile number
field-vaccine = Vaccine
field-vaccine_batch = Batch number (on the vial)
field-center_id = Centre

## What went well

notice-desk-registered = Registered. Record their dose below.
notice-desk-recorded = Dose recorded and certificate issued.
