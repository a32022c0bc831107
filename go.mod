module github.com/discourse-chatbot/discourse-chatbot

go 1.26

require github.com/mattermost/mattermost-server/v6 v6.7.2 // indirect
