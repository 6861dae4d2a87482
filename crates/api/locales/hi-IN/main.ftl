# sehat वेब ऐप — हिन्दी। हर संदेश en-IN/main.ftl से मेल खाता है।

language-name = हिन्दी
language-switch = भाषा
skip-to-content = मुख्य सामग्री पर जाएँ
nav-label = मुख्य
nav-find = केंद्र खोजें
nav-family = मेरा परिवार
nav-login = लॉग इन
nav-verify = प्रमाणपत्र जाँचें
footer-text = sehat — मुक्त स्रोत सार्वजनिक स्वास्थ्य सेवाएँ। आपकी जानकारी केवल टीकाकरण बुक करने और दर्ज करने के लिए उपयोग होती है।
footer-api-docs = डेवलपर्स के लिए: एपीआई
back-home = मुख्य पृष्ठ पर लौटें

## तारीखें

weekday-1 = सोम
weekday-2 = मंगल
weekday-3 = बुध
weekday-4 = गुरु
weekday-5 = शुक्र
weekday-6 = शनि
weekday-7 = रवि
month-1 = जन॰
month-2 = फ़र॰
month-3 = मार्च
month-4 = अप्रैल
month-5 = मई
month-6 = जून
month-7 = जुल॰
month-8 = अग॰
month-9 = सित॰
month-10 = अक्तू॰
month-11 = नव॰
month-12 = दिस॰

## मुख्य पृष्ठ और खोज

home-title = टीकाकरण केंद्र खोजें
home-heading = अपने पास टीका लगवाएँ
home-lead = केंद्र खोजें, अपने परिवार के लिए स्लॉट बुक करें और अपना प्रमाणपत्र डाउनलोड करें।
home-by-pincode = पिनकोड से खोजें
home-by-district = ज़िले से खोजें
home-choose-state = राज्य चुनें
home-show-districts = ज़िले दिखाएँ
home-search = खोजें
home-near-me = मेरे पास के केंद्र
home-near-me-text = निकटतम केंद्र दिखाने के लिए आपके फ़ोन का स्थान एक बार उपयोग होता है। इसे सहेजा नहीं जाता।
home-use-location = मेरा स्थान उपयोग करें
home-near-me-failed = आपका स्थान उपलब्ध नहीं है। कृपया पिनकोड या ज़िले से खोजें।
find-near-me = आपके पास के केंद्र
find-in-pincode = पिनकोड { $pincode } के केंद्र
find-in-district = { $district } के केंद्र
find-distance = { $km } किमी दूर
find-no-seats = —
find-nothing = यहाँ किसी केंद्र में अगले 7 दिनों में सीट खाली नहीं है। पास का पिनकोड या अपना ज़िला आज़माएँ।
find-search-again = फिर से खोजें
find-count = अगले 7 दिनों में सत्र वाले { $count } केंद्र
find-seats-caption = हर दिन की खाली सीटें

## केंद्र

centre-ages-range = आयु { $min }–{ $max }
centre-ages-from = आयु { $min }+
centre-free = निःशुल्क
centre-live = सीटों की संख्या अपने आप अद्यतन होती है।
centre-weeks = अन्य सप्ताह
centre-earlier = पहले
centre-later = अगले 7 दिन
centre-no-sessions = इस दिन कोई सत्र नहीं।
centre-dose1 = पहली खुराक
centre-dose2 = दूसरी खुराक
centre-who = कौन आ रहा है?
centre-next-dose = अगली: खुराक { $dose }
centre-choose-slot = समय स्लॉट
centre-book = बुक करें
centre-login-to-book = यहाँ स्लॉट बुक करने के लिए लॉग इन करें।
centre-add-member-first = पहले परिवार का सदस्य जोड़ें, फिर बुक करें।
centre-moving = अपनी अपॉइंटमेंट के लिए नया सत्र और समय स्लॉट चुनें।
centre-move-here = मेरी अपॉइंटमेंट यहाँ बदलें

## लॉग इन

login-title = अपने मोबाइल नंबर से लॉग इन करें
login-intro = हम एसएमएस से एक बार का पासवर्ड (ओटीपी) भेजते हैं। आपके परिवार के सदस्य इसी नंबर के अंतर्गत रहते हैं।
desk-login-title = टीकाकर्ता लॉग इन
desk-login-intro = अपने टीकाकर्ता पद के मोबाइल नंबर से लॉग इन करें।
login-send-otp = ओटीपी भेजें
login-otp-sent = हमने आपके मोबाइल पर 6 अंकों का ओटीपी भेजा है। यह 3 मिनट तक मान्य है।
login-sandbox-otp = डेमो मोड: आपका ओटीपी { $otp } है
login-confirm = लॉग इन करें
login-start-again = दूसरा नंबर उपयोग करें, या नया ओटीपी भेजें
logout = लॉग आउट

## परिवार

family-title = मेरा परिवार
family-empty = इस नंबर पर अभी कोई पंजीकृत नहीं है। नीचे स्वयं को और अपने परिवार को जोड़ें।
family-member-details = जन्म { $year } · { $gender } · संदर्भ आईडी { $ref }
family-doses = ली गई खुराकें
family-dose-line = खुराक { $dose }: { $vaccine }, { $date }
family-certificate = प्रमाणपत्र डाउनलोड करें (PDF)
family-appointments = अपॉइंटमेंट
family-appointment-line = खुराक { $dose }, { $vaccine }
family-slip = अपॉइंटमेंट पर्ची (PDF)
family-reschedule = समय बदलें
family-cancel = अपॉइंटमेंट रद्द करें
family-find-centre = केंद्र खोजें और बुक करें
family-remove = मेरे परिवार से हटाएँ
family-remove-confirm = { $name } को इस मोबाइल नंबर से हटाएँ? उनके रिकॉर्ड उन्हें टीका लगाने वाले केंद्रों के पास रहते हैं।
family-remove-button = हटाएँ
family-add = परिवार का सदस्य जोड़ें
family-add-button = सदस्य जोड़ें
family-full = इस नंबर पर पहले से अधिकतम सदस्य पंजीकृत हैं।
status-vaccinated = पूर्ण टीकाकरण
status-partially = आंशिक टीकाकरण
status-not-vaccinated = टीकाकरण नहीं हुआ
appointment-active = बुक है
appointment-cancelled = रद्द
appointment-completed = पूरा हुआ
gender-1 = पुरुष
gender-2 = महिला
gender-3 = अन्य

## फ़ॉर्म के खाने

field-pincode = पिनकोड
field-state = राज्य
field-district = ज़िला
field-district_id = ज़िला
field-mobile = मोबाइल नंबर
field-otp = ओटीपी
field-name = पूरा नाम (फ़ोटो पहचान पत्र के अनुसार)
field-birth_year = जन्म का वर्ष
field-gender_id = लिंग
field-photo_id_type = फ़ोटो पहचान पत्र
field-photo_id_number = फ़ोटो पहचान पत्र संख्या
field-comorbidity = लंबी बीमारी है (सहरुग्णता)
field-consent = मैं सहमत हूँ कि sehat ये विवरण टीकाकरण बुक करने और दर्ज करने के लिए रखे।
field-dose = खुराक
field-lat = स्थान
field-slot = समय स्लॉट
field-session_id = सत्र
field-beneficiaries = जिनके लिए बुक करना है
field-mobile_number = मोबाइल नंबर
field-consent_version = सहमति

## क्या ठीक हुआ

notice-logged-out = आप लॉग आउट हो गए हैं।
notice-member-added = परिवार का सदस्य जोड़ा गया।
notice-member-removed = परिवार का सदस्य हटाया गया।
notice-booked = बुक हो गया। नीचे से अपॉइंटमेंट पर्ची डाउनलोड करें और फ़ोटो पहचान पत्र साथ लाएँ।
notice-rescheduled = आपकी अपॉइंटमेंट बदल दी गई है।
notice-cancelled = आपकी अपॉइंटमेंट रद्द हो गई है और सीट दूसरों के लिए खाली है।

## क्या गलत हुआ, और आगे क्या करें

error-title = कुछ गलत हो गया
error-other = यह नहीं हो सका: { $detail }। कृपया फिर से प्रयास करें।
error-csrf = इस फ़ॉर्म की अवधि समाप्त हो गई है। वापस जाएँ, पृष्ठ फिर से लोड करें और दोबारा भेजें।
not-found-title = नहीं मिला
not-found-text = यह पृष्ठ मौजूद नहीं है, या इसे देखने की अनुमति आपको नहीं है।
error-SEHAT0400 = कृपया “{ $field }” जाँचें और फिर से प्रयास करें।
error-SEHAT0401 = कृपया फिर से लॉग इन करें: आपका सत्र समाप्त हो गया है।
error-SEHAT0404 = वह नहीं मिला। हो सकता है उसे हटा दिया गया हो।
error-SEHAT0409 = आपके देखते-देखते यह बदल गया। पृष्ठ फिर से लोड करें और दोबारा प्रयास करें।
error-SEHAT0429 = आपके कनेक्शन से बहुत अधिक अनुरोध आए। एक मिनट रुककर फिर प्रयास करें।
error-SEHAT0500 = हमारी ओर से कुछ गलत हुआ। कृपया थोड़ी देर बाद फिर प्रयास करें।
error-SEHAT0503 = सेवा व्यस्त है। कृपया एक मिनट बाद फिर प्रयास करें।
error-APPOIN0006 = वह केंद्र मौजूद नहीं है।
error-APPOIN0015 = इस केंद्र में आज कोई सत्र नहीं है।
error-APPOIN0040 = यह स्लॉट अभी-अभी पूरा भर गया। कोई दूसरा स्लॉट या दिन चुनें।
error-APPOIN0041 = यह सत्र बंद है। कोई दूसरा दिन चुनें।
error-APPOIN0042 = यह सत्र बीत चुका है। आज या आगे का दिन चुनें।
error-APPOIN0043 = यह सत्र आपके चुने किसी व्यक्ति की आयु के लिए नहीं है। उनकी आयु के लिए सत्र चुनें।
error-APPOIN0044 = कैप्चा का उत्तर गलत था। फिर से प्रयास करें।
error-APPOIN0045 = आपके चुने किसी व्यक्ति की इस खुराक की अपॉइंटमेंट पहले से है। पहले उसे बदलें या रद्द करें।
error-APPOIN0046 = वह स्लॉट इस सत्र का नहीं है। फिर से चुनें।
error-APPOIN0047 = यह अनुरोध दूसरे विवरणों के साथ पहले ही भेजा जा चुका है। पृष्ठ फिर से लोड करें।
error-APPOIN0048 = आज वॉक-इन की कोई सीट नहीं बची है।
error-USRAUT0002 = ओटीपी सही नहीं है। एसएमएस देखकर फिर से लिखें।
error-USRAUT0003 = ओटीपी की अवधि समाप्त हो गई। नया ओटीपी मँगाएँ।
error-USRAUT0004 = बहुत बार गलत ओटीपी डाला गया। नया ओटीपी मँगाएँ।
error-USRAUT0005 = इस नंबर के लिए बहुत अधिक ओटीपी माँगे गए। कुछ देर बाद फिर माँगें।
error-USRAUT0006 = ये विवरण हमारे रिकॉर्ड से मेल नहीं खाते।
error-USRAUT0007 = बहुत अधिक प्रयास हुए। एक घंटे बाद फिर प्रयास करें।
error-USRAUT0008 = इस ऐप को जुड़ने की अनुमति नहीं है।
error-USRAUT0009 = इस नंबर पर कोई सक्रिय टीकाकर्ता पद नहीं है। अपने ज़िला प्रशासक से संपर्क करें।
error-USRRES0010 = इस मोबाइल नंबर पर पहले से अधिकतम सदस्य पंजीकृत हैं।
error-USRRES0011 = यह फ़ोटो पहचान पत्र पहले से पंजीकृत है। हर व्यक्ति एक ही बार पंजीकरण करता है।
error-USRRES0012 = इस व्यक्ति की आने वाली अपॉइंटमेंट है। पहले उसे रद्द करें।
error-VACCIN0001 = पिछली खुराक अभी दर्ज नहीं है। पहले पिछली खुराक दर्ज या बुक करें।
error-VACCIN0002 = इस खुराक के लिए अभी बहुत जल्दी है। बाद का दिन चुनें।
error-VACCIN0003 = यह खुराक पहले ही दर्ज है।
error-VACCIN0004 = यह खुराक पिछली खुराक वाले टीके की ही होनी चाहिए।
error-VACCIN0005 = इस खुराक को दर्ज करने के लिए कोई अपॉइंटमेंट या वॉक-इन सीट नहीं है।
error-VACCIN0006 = इस प्रमाणपत्र की जगह नया प्रमाणपत्र जारी हो चुका है।
error-VACCIN0007 = इस केंद्र पर आपका कोई पद नहीं है।
error-VACCIN0008 = इसे प्रमाणपत्र के रूप में पढ़ा नहीं जा सका। देखें कि पूरी PDF है, या QR कोड फिर से स्कैन करें।
